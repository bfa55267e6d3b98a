/// The Cloud API fixtures: envelopes, several entries, the Cloud spellings of the known variants.
extension FixtureExpectation {
    static let acmeNumber: ParsedLine = "318264750091234"

    static let cloud: [FixtureExpectation] = [
        .init("cloud-envelope-messages.json", [
            .message("text", "wamid.HBgLMTU1NTAxMDA3NzcVAgASL7azvTBVoManxX9keMWdXuFaudXgzEwLAA==", from: "15550100777",
                     at: "2024-06-14T16:03:20Z", [
                "message.text": "Hello from the Cloud side", "phone_number_id": acmeNumber, "source": "cloud",
                "contact.name": "Dana Whitlock",
            ]),
        ]),
        .init("cloud-envelope-multi-entry.json", [
            .message("text", "wamid.HBgLMTU1NTAxMDA3NzcVAgAS34HwyUWO4YbGyuj1NqObjmgG3Val0ph4AA==", from: "15550100314",
                     at: "2024-06-14T16:06:40Z", [
                "message.text": "first tenant", "phone_number_id": acmeNumber, "contact.name": "Tomás Ferreira",
            ]),
            .status("sent", "wamid.HBgLMTU1NTAxMDA3NzcVAgASGarH5qMuUUnCMfGQj2H7L4RpmzMQG1QvAA==", to: "447700900456",
                    at: "2024-06-14T16:06:41Z", [
                "phone_number_id": "318264750095678", "contact.name": nil,
            ]),
        ]),
        .init("cloud-envelope-statuses.json", [
            .status("delivered", "wamid.HBgLMTU1NTAxMDA3NzcVAgASIeGiNtvZg9kDQCNqvqnIJRW83Gom9QG9AA==", to: "15550100777",
                    at: "2024-06-14T16:05:00Z", [
                "status.conversation.origin": "service", "status.pricing.billable": false,
                "status.pricing.category": "service", "phone_number_id": acmeNumber,
            ]),
            .status("failed", "wamid.HBgLMTU1NTAxMDA3NzcVAgASHlrXofHpqnVmFImXk4dVJTYBZSdGMNRuAA==", to: "447700900456",
                    at: "2024-06-14T16:05:02Z", [
                "status.errors.0.code": 131047, "status.errors.0.title": "Re-engagement message",
                "status.errors.0.details": "More than 24 hours since the customer last wrote",
                "raw.errors.0.error_data.details": "More than 24 hours since the customer last wrote",
            ]),
        ]),
        .init("cloud-inbound-numeric-timestamps.json", [
            .message("image", "wamid.HBgLMTU1NTAxMDA3NzcVAgASGBQzRUIwNUY2QjI4QzVGRjg0MDY5NQA=", from: "15550100777",
                     at: "2024-06-14T16:08:20Z", [
                "message.media.id": "1043375094157892", "message.media.caption": "Dented corner, see photo",
                "raw.timestamp": 1_718_381_300,
            ]),
            .status("read", "wamid.HBgLMTU1NTAxMDA3NzcVAgARGBI0QjZGNzI5RTc2QzQ1RTQ2NzkA", to: "15550100777",
                    at: "2024-06-14T16:08:21Z", [
                "status.conversation.expires_at": "2024-06-15T16:08:21Z", "status.conversation.origin": "utility",
                "contact.name": "Dana Whitlock",
            ]),
        ]),
        .init("cloud-inbound-system-customer-changed-number.json", [
            .message("system", "wamid.HBgLMTU1NTAxMDAzMTQVAgASGBQzQTdCMjQ5NUMzRDE2RkYwNUI2MQA=", from: "15550100314",
                     at: "2024-06-14T16:10:00Z", [
                "message.system.type": "changed_number", "message.system.new_wa_id": "15550100315",
                "raw.system.type": "customer_changed_number",
            ]),
            .message("system", "wamid.HBgLMTU1NTAxMDAzMTQVAgASGBQzQjhDMzU5NkQ0RTI3MDAxNkM3MgA=", from: "15550100314",
                     at: "2024-06-14T16:10:01Z", [
                "message.system.type": "identity_changed", "message.system.identity": "bT2x9Qk4pLs=",
            ]),
        ]),
        .init("cloud-inbound-unsupported.json", [
            .message("unsupported", "wamid.HBgMNDQ3NzAwOTAwNDU2FQIAEhgUM0M5RDQ2QTdFNUYzODExMjdEODMA", from: "447700900456",
                     at: "2024-06-14T16:11:40Z", [
                "message.type": "unsupported", "message.unsupported.type": "video_note",
                "message.unsupported.errors.0.code": 131051,
                "message.unsupported.errors.0.details": "Message type is currently not supported.",
            ]),
        ]),
        .init("cloud-inbound-interactive-flow-reply.json", [
            .message("interactive", "wamid.HBgLMTU1NTAxMDA3NzcVAgASGBQzRTBGNTdCOEY2QTQ5MjIzOEU5NAA=", from: "15550100777",
                     at: "2024-06-14T16:16:40Z", [
                "message.interactive.type": "nfm_reply", "message.interactive.id": nil,
                "raw.interactive.nfm_reply.name": "flow",
            ]),
            .message("reaction", "wamid.HBgLMTU1NTAxMDA3NzcVAgASGBQzRjFHNjhDOUc3QjUwMzM0OUZBNQA=", from: "15550100777",
                     at: "2024-06-14T16:16:45Z", [
                "message.reaction.emoji": nil,
                "message.reaction.message_id": "wamid.HBgLMTU1NTAxMDA3NzcVAgARGBI2RThGOTQwRjFDN0QxMjgxNjEA",
            ]),
        ]),
        .init("cloud-status-played-and-new-status.json", [
            .status("played", "wamid.HBgLMTU1NTAxMDA3NzcVAgARGBI1RDdFODM5RjA3QjYwMTcwNTAA", to: "15550100777",
                    at: "2024-06-14T16:15:00Z"),
            .status("held_for_quality_assessment", "wamid.HBgLMTU1NTAxMDA3NzcVAgARGBI1RDdFODM5RjA3QjYwMTcwNTAA",
                    to: "15550100777", at: "2024-06-14T16:15:01Z", type: "status.unknown"),
        ]),
        .init("cloud-errors-notification.json", [
            .error("error:fb9f02c51b05111a5fca8cf71727d69397eeb7ac0b1e991e004c666cbbfd3fdf", [
                "error.code": 131000, "error.title": "Something went wrong",
                "error.details": "Media upload to the business failed; ask the customer to send it again",
                "phone_number_id": acmeNumber, "source": "cloud",
            ]),
        ]),
        .init("cloud-account-update-only.json", [
            .field("account_update", "field:account_update:2ca051d637f6b1ab64a0a9e0ca8e6cbe855263560e506c0840a7f3f4388510e2",
                   at: "2024-06-14T16:13:20Z", [
                "field.entry_id": "219875432100987", "raw.event": "VERIFIED_ACCOUNT", "phone_number_id": nil,
            ]),
        ]),
    ]

    static let all = onPremisesMessages + onPremisesStatusesAndErrors + cloud + cloud2026
}

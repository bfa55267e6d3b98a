/// The Cloud API as Meta sends it in 2026 (WHATSAPP-WEBHOOKS §7): usernames, other webhook
/// fields, groups, the newer kinds and media fields, and bodies with malformed items. The ids of
/// field and malformed events were worked out apart from the decoder, with Python's hashlib.
extension FixtureExpectation {
    static let sheena = "US.13491208655302741918"
    static let omar = "US.20571349908412736651"

    static let cloud2026: [FixtureExpectation] = [
        .init("cloud-inbound-username-no-phone.json", [
            .message("text", "wamid.HBgUVVMuMTM0OTEyMDg2NTUzMDI3NDE5MTgVAgASGBQzQTlBMDFCMjAzQzRENUU2RjcwOAA=", from: nil,
                     userID: sheena, at: "2025-06-08T20:59:43Z", [
                "contact.wa_id": nil, "contact.user_id": .string(sheena), "contact.username": "@realsheenanelson",
                "contact.name": "Sheena Nelson", "contact.parent_user_id": nil,
                "message.text": "Does it come in another color?",
            ]),
            .message("text", "wamid.HBgUVVMuMjA1NzEzNDk5MDg0MTI3MzY2NTEVAgASGBQzQjFDMjNENDVFNkY3MDgxOTJBMwA=", from: nil,
                     userID: omar, at: "2025-06-08T20:59:50Z", [
                "contact.wa_id": nil, "contact.username": "@omarh", "contact.parent_user_id": "US.ENT.9981237740012",
                "raw.from": "",
            ]),
        ]),
        .init("cloud-inbound-username-and-phone.json", [
            .message("text", "wamid.HBgLMTU1NTAxMDA3NzcVAgASGBQzQzJEMzRFNTZGNzA4MTkyQTNCNAA=", from: "15550100777",
                     userID: "US.88123400917734625519", at: "2025-06-08T21:00:00Z", [
                "contact.wa_id": "15550100777", "contact.user_id": "US.88123400917734625519", "contact.username": "@danaw",
                "contact.name": "Dana Whitlock",
            ]),
        ]),
        .init("cloud-status-username-recipient.json", [
            .status("delivered", "wamid.HBgUVVMuMTM0OTEyMDg2NTUzMDI3NDE5MTgVAgARGBI0RTVGNjA3MTgyOTNBNEI1QzYA", to: nil,
                    userID: sheena, at: "2025-06-08T21:01:40Z", [
                "contact.user_id": .string(sheena), "contact.wa_id": nil, "status.pricing.type": "regular",
                "status.pricing.pricing_model": "PMP",
            ]),
            .status("read", "wamid.HBgUVVMuMjA1NzEzNDk5MDg0MTI3MzY2NTEVAgARGBI1RjZBNzE4MjkzQTRCNUM2RDcA", to: nil,
                    userID: omar, at: "2025-06-08T21:01:50Z"),
        ]),
        .init("cloud-field-changes.json", [
            .field("message_template_status_update",
                   "field:message_template_status_update:0a8dabb18204400cb722aecc2f649fe4f5b99cd914bef17f84fc1895def6c575",
                   at: "2025-02-12T00:43:44Z", [
                "raw.event": "APPROVED", "raw.message_template_id": 1_689_556_908_129_832, "phone_number_id": nil,
                "field.entry_id": "219875432100987",
            ]),
            .field("user_preferences",
                   "field:user_preferences:27204479930320f1aa438587ca3c3fc2d03c102d6a7f15c894bf731c0500334d",
                   at: "2025-02-12T00:43:44Z", [
                "raw.user_preferences.0.value": "stop", "phone_number_id": acmeNumber,
            ]),
            .field("calls", "field:calls:d7ff24ab5760476ff6724b0b3ba1c08da5786593d63ce887951c100008114b58", at: nil, [
                "raw.calls.0.event": "connect", "phone_number_id": acmeNumber,
            ]),
            .message("text", "wamid.HBgLMTU1NTAxMDA3NzcVAgASGBQzRDRFNUY2MDcxODI5M0E0QjVDNgA=", from: "15550100777",
                     at: "2025-02-12T00:45:05Z", ["message.text": "Did you just call me?"]),
        ]),
        .init("cloud-inbound-group-message.json", [
            .message("text", "wamid.HBgLMTU1NTAxMDAzMTQVAgASGBQzRTVGNjA3MTgyOTNBNEI1QzZENwA=", from: "15550100314",
                     at: "2025-06-08T21:10:00Z", [
                "message.group_id": "120363041234567890@g.us", "contact.name": "Tomás Ferreira",
            ]),
        ]),
        .init("cloud-status-group-participants.json", [
            .status("delivered", "wamid.HBgSMTIwMzYzMDQxMjM0NTY3ODkwFQIAERgSNkY3MDgxOTJBM0I0QzVENkU3AA==",
                    to: "120363041234567890@g.us", participant: "15550100314", at: "2025-06-08T21:11:40Z", [
                "status.recipient_type": "group", "status.biz_opaque_callback_data": "campaign=spring;batch=7",
                "status.pricing.type": "regular", "status.pricing.category": "marketing",
            ]),
            .status("delivered", "wamid.HBgSMTIwMzYzMDQxMjM0NTY3ODkwFQIAERgSNkY3MDgxOTJBM0I0QzVENkU3AA==",
                    to: "120363041234567890@g.us", participant: sheena, at: "2025-06-08T21:11:41Z", [
                "status.recipient_type": "group",
            ]),
        ]),
        .init("cloud-inbound-request-welcome.json", [
            .message("request_welcome", "wamid.HBgMNDQ3NzAwOTAwNDU2FQIAEhgUN0E4OUIwQzFEMkUzRjQwNTE2MjcA", from: "447700900456",
                     at: "2025-06-08T21:13:20Z", ["message.type": "request_welcome", "contact.name": "Priya Raman"]),
        ]),
        .init("cloud-inbound-edit.json", [
            .message("edit", "wamid.HBgLMTU1NTAxMDA3NzcVAgASGBQ4QjlDMEQxRTJGM0E0QjVDNkQ3RQA=", from: "15550100777",
                     at: "2025-06-08T21:15:00Z", [
                "message.edit.original_message_id": "wamid.HBgLMTU1NTAxMDA3NzcVAgASGBQ3OTgwOTFBMkIzQzRENUU2RjcwOAA=",
                "message.edit.message.type": "image", "message.edit.message.media.id": "1287340559871234",
                "message.edit.message.media.caption": "The right photo this time",
            ]),
        ]),
        .init("cloud-inbound-revoke.json", [
            .message("revoke", "wamid.HBgLMTU1NTAxMDA3NzcVAgASGBQ5QzBEMUUyRjNBNEI1QzZEN0U4RgA=", from: "15550100777",
                     at: "2025-06-08T21:16:40Z", [
                "message.revoke.original_message_id": "wamid.HBgLMTU1NTAxMDA3NzcVAgASGBQ3OTgwOTFBMkIzQzRENUU2RjcwOAA=",
            ]),
        ]),
        .init("cloud-inbound-media-voice-animated.json", [
            .message("audio", "wamid.HBgLMTU1NTAxMDA3NzcVAgASGBQwRDFFMkYzQTRCNUM2RDdFOEYwMQA=", from: "15550100777",
                     at: "2025-06-08T21:18:20Z", [
                "message.media.voice": true, "message.media.animated": nil, "message.media.id": "1390475625871234",
                "message.media.url": "https://lookaside.fbsbx.com/whatsapp_business/attachments/?mid=1390475625871234&ext=1749417500&hash=ARm1",
            ]),
            .message("sticker", "wamid.HBgLMTU1NTAxMDA3NzcVAgASGBQxRTJGM0E0QjVDNkQ3RThGMDExMgA=", from: "15550100777",
                     at: "2025-06-08T21:18:21Z", [
                "message.media.animated": true, "message.media.voice": nil,
                "message.media.url": "https://lookaside.fbsbx.com/whatsapp_business/attachments/?mid=1501586736982345&ext=1749417501&hash=ARn2",
            ]),
        ]),
        .init("cloud-inbound-referral-urls.json", [
            .message("text", "wamid.HBgMNDQ3NzAwOTAwNDU2FQIAEhgUMkYzQTRCNUM2RDdFOEYwMTEyMjMA", from: "447700900456",
                     at: "2025-06-08T21:20:00Z", [
                "message.referral.image_url": "https://scontent.xx.fbcdn.net/v/t45.1600-4/spring.jpg",
                "message.referral.thumbnail_url": "https://scontent.xx.fbcdn.net/v/t45.1600-4/spring-thumb.jpg",
                "message.referral.video_url": nil, "message.referral.media": nil,
                "message.referral.ctwa_clid": "ARAkLkA8rmlFeiCktEJQ-QTwRiyYHAFDLMNDBH0CD3qpjd0HR4irJ6LEkR7JwFF4XvnO2E4Nx0-eM-ZABDLcX7PQ",
                "message.referral.headline": "Spring sale",
            ]),
        ]),
        .init("cloud-mixed-malformed-items.json", [
            .message("text", "wamid.HBgLMTU1NTAxMDA3NzcVAgASGBQzQTRCNUM2RDdFOEYwMTEyMjMzNAA=", from: "15550100777",
                     at: "2025-06-08T21:21:40Z", ["message.text": "first, and fine"]),
            .malformed("message.unknown", "malformed:844a545dff8baa8f4b1adf10f8073b62b9870e8665103fe1a06130c1fa805fe9",
                       reason: "entry[0].changes[0].value.messages[1].id is missing", [
                "raw.text.body": "no id", "phone_number_id": acmeNumber,
            ]),
            .malformed("status.unknown", "malformed:cd7c179e56645d4d427930ba1e0a930ec7ddd9490243f343f53403c8eed5c0f9",
                       reason: "entry[0].changes[0].value.statuses[0].status is not a string", ["raw.status": true]),
            .status("read", "wamid.HBgLMTU1NTAxMDA3NzcVAgARGBI0QjVDNkQ3RThGMDExMjIzMzQ0NQA=", to: "15550100777",
                    at: "2025-06-08T21:21:43Z"),
            .malformed("error", "malformed:ec510c6915860dfff7978956751bd878da341fb75aca92e2bbb28eddae702cb1",
                       reason: "entry[0].changes[1].field is missing", [
                "raw.value.event": "VERIFIED_ACCOUNT", "phone_number_id": nil,
            ]),
        ]),
    ]
}

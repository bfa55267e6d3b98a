/// The On-Premises fixtures: every message type, every status, and error notifications.
extension FixtureExpectation {
    static let onPremisesMessages: [FixtureExpectation] = [
        .init("onprem-inbound-text.json", [
            .message("text", "ABEGFVVQAQd3AgohzaU7PgTu9v5q", from: "15550100777", at: "2024-06-14T13:20:05Z", [
                "message.text": "Hi! Is the Friday pickup slot still open?", "message.type": "text",
                "message.context": nil, "message.referral": nil, "contact.name": "Dana Whitlock",
                "source": "on-premises", "phone_number_id": nil, "raw.text.body": "Hi! Is the Friday pickup slot still open?",
            ]),
        ]),
        .init("onprem-inbound-text-reply-context.json", [
            .message("text", "ABEGFVVQAQd3Ago63-Y_ADXrbSn-", from: "15550100777", at: "2024-06-14T13:23:08Z", [
                "message.text": "Perfect, 10am works for me.", "message.context.from": "15550100200",
                "message.context.id": "gBEGFVVQAQd3Agkh0QGSn3WyNYa", "message.context.forwarded": false,
                "message.context.frequently_forwarded": false,
            ]),
        ]),
        .init("onprem-inbound-text-forwarded.json", [
            .message("text", "ABEGFVVQAQd3Ago9T2ZShLb7t0j5", from: "15550100314", at: "2024-06-14T13:33:30Z", [
                "message.text": "Fwd: the warehouse moves to the new address on July 1st.",
                "message.context.forwarded": true, "message.context.frequently_forwarded": false,
                "message.context.from": nil, "message.context.id": nil, "contact.name": "Tomás Ferreira",
            ]),
        ]),
        .init("onprem-inbound-video.json", [
            .message("video", "ABEGFVVQAQd3Ago7K3MSt1HW_G2m", from: "15550100777", at: "2024-06-14T14:23:53Z", [
                "message.media.id": "b7a304ea-5fca-9b1e-f086-8218f75ea816", "message.media.mime_type": "video/mp4",
                "message.media.caption": "Unboxing clip", "message.media.filename": nil,
                "message.media.sha256": "817671e191f0b3998517e8c9bca087765df019d30ddd5949f7230c39978e1ff4",
                "message.context.frequently_forwarded": true, "message.context.forwarded": false,
            ]),
        ]),
        .init("onprem-inbound-image-caption.json", [
            .message("image", "ABEGFVVQAQd3AgoDkYBo3Do03y6W", from: "447700900456", at: "2024-06-14T13:51:41Z", [
                "message.media.id": "a8a63b4d-63a0-8aed-720d-0f5f249e07d9", "message.media.mime_type": "image/jpeg",
                "message.media.caption": "The hinge cracked on day two, photo attached",
                "raw.image.file": "/usr/local/wamedia/shared/a8a63b4d-63a0-8aed-720d-0f5f249e07d9",
                "contact.name": "Priya Raman",
            ]),
        ]),
        .init("onprem-inbound-document-filename.json", [
            .message("document", "ABEGFVVQAQd3Ago6BQ2NxN9YuuBw", from: "15550100777", at: "2024-06-14T14:07:02Z", [
                "message.media.id": "83e4b178-9306-d3d1-c991-40df3827d600", "message.media.mime_type": "application/pdf",
                "message.media.filename": "purchase-order-PO-88142.pdf", "message.media.caption": "Signed PO as requested",
            ]),
        ]),
        .init("onprem-inbound-audio.json", [
            .message("audio", "ABEGFVVQAQd3Ago0NYxXEeqk-T7y", from: "15550100314", at: "2024-06-14T14:15:00Z", [
                "message.media.id": "5335aec8-8d60-e749-3bec-59892809e395", "message.media.mime_type": "audio/mpeg",
                "message.media.caption": nil, "message.media.filename": nil,
            ]),
        ]),
        .init("onprem-inbound-voice.json", [
            .message("voice", "ABEGFVVQAQd3Agona3mDuA5_Y7P0", from: "447700900456", at: "2024-06-14T14:16:51Z", [
                "message.media.id": "71c71e29-a2f8-8bd6-024d-47bce5dcc048", "message.media.mime_type": "audio/ogg; codecs=opus",
                "message.type": "voice",
            ]),
        ]),
        .init("onprem-inbound-sticker.json", [
            .message("sticker", "ABEGFVVQAQd3AgoBj27QVWL0nUuD", from: "15550100314", at: "2024-06-14T14:30:00Z", [
                "message.media.id": "d0e05ad5-360a-5ab4-b28c-d7a66950f05a", "message.media.mime_type": "image/webp",
                "raw.sticker.metadata.emojis.0": "🐱", "raw.sticker.metadata.is-first-party-sticker": 0,
            ]),
        ]),
        .init("onprem-inbound-location.json", [
            .message("location", "ABEGFVVQAQd3AgoldHeEe-qfq_xT", from: "447700900456", at: "2024-06-14T14:40:02Z", [
                "message.location.latitude": 51.507412, "message.location.longitude": -0.127758,
                "message.location.name": "Loading bay C", "message.location.address": "12 Example Yard, London",
                "message.location.url": "https://maps.example.invalid/place/loading-bay-c",
            ]),
        ]),
        .init("onprem-inbound-contacts-card.json", [
            .message("contacts", "ABEGFVVQAQd3AgokDRWiPqer9IVZ", from: "15550100777", at: "2024-06-14T14:49:15Z", [
                "message.contacts.0.name.formatted_name": "Marcus Okafor", "message.contacts.0.phones.0.wa_id": "15550100901",
                "message.contacts.0.phones.1.phone": "+1 (555) 010-0902", "message.contacts.0.org.company": "Example Logistics",
                "message.contacts.0.birthday": "1988-03-14", "contact.name": "Dana Whitlock",
            ]),
        ]),
        .init("onprem-inbound-interactive-button-reply.json", [
            .message("interactive", "ABEGFVVQAQd3AgoyyYTq1GVoTsbZ", from: "15550100777", at: "2024-06-14T14:56:41Z", [
                "message.interactive.type": "button_reply", "message.interactive.id": "slot_fri_0900",
                "message.interactive.title": "Fri 9:00-12:00", "message.interactive.description": nil,
                "message.context.id": "gBEGFVVQAQd3AgkHOLnDsjZGiQ6",
            ]),
        ]),
        .init("onprem-inbound-interactive-list-reply.json", [
            .message("interactive", "ABEGFVVQAQd3AgoAbaZO3Vho1ypz", from: "447700900456", at: "2024-06-14T15:00:22Z", [
                "message.interactive.type": "list_reply", "message.interactive.id": "ship_express",
                "message.interactive.title": "Express (1-2 days)",
                "message.interactive.description": "Tracked, signature on delivery", "message.context.from": "447700900321",
            ]),
        ]),
        .init("onprem-inbound-button-quick-reply.json", [
            .message("button", "ABEGFVVQAQd3Agom7F1XoAdqZQCi", from: "15550100314", at: "2024-06-14T15:05:30Z", [
                "message.button.payload": "CONFIRM_ORDER_88142", "message.button.text": "Yes, confirm",
                "message.context.id": "gBEGFVVQAQd3Agkdn3wK-NWHiDY",
            ]),
        ]),
        .init("onprem-inbound-reaction.json", [
            .message("reaction", "ABEGFVVQAQd3AgoiElsSF9y8Bqi5", from: "15550100777", at: "2024-06-14T15:10:00Z", [
                "message.reaction.message_id": "gBEGFVVQAQd3Agkh0QGSn3WyNYa", "message.reaction.emoji": "👍",
            ]),
        ]),
        .init("onprem-inbound-order.json", [
            .message("order", "ABEGFVVQAQd3AgosSjX9dJwSrn_z", from: "15550100777", at: "2024-06-14T15:25:00Z", [
                "message.order.catalog_id": "771200998877665", "message.order.text": "Please deliver after 5pm",
                "message.order.product_items.0.product_retailer_id": "SKU-BLU-MUG-01",
                "message.order.product_items.0.quantity": 2, "message.order.product_items.0.item_price": 12.5,
                "message.order.product_items.1.quantity": 1, "message.order.product_items.1.item_price": 8.99,
                "message.order.product_items.1.currency": "USD", "raw.order.product_items.1.quantity": "1",
            ]),
        ]),
        .init("onprem-inbound-text-referral-identity.json", [
            .message("text", "ABEGFVVQAQd3AgoZgMtDwyleI7K_", from: "447700900456", at: "2024-06-14T15:29:51Z", [
                "message.text": "Do the large boxes come with lids?",
                "message.referral.headline": "Spring sale on storage boxes", "message.referral.source_type": "ad",
                "message.referral.source_id": "120200000000000777", "message.referral.media_type": "image",
                "message.referral.media.id": "b5368946-220f-8215-51c4-d2c5cab7aa03",
                "raw.identity.created_timestamp": 1_718_378_990_000,
            ]),
        ]),
        .init("onprem-inbound-system-changed-number.json", [
            .message("system", "ABEGFVVQAQd3Ago5JcEPMoSu9iNk", from: "15550100777", at: "2024-06-14T15:15:00Z", [
                "message.system.type": "changed_number", "message.system.new_wa_id": "15550100778",
                "message.system.body": "Dana Whitlock changed from +1 (555) 010-0777 to +1 (555) 010-0778",
                "raw.system.type": "user_changed_number", "contact.name": nil, "contact.wa_id": "15550100777",
            ]),
        ]),
        .init("onprem-inbound-system-identity-changed.json", [
            .message("system", "ABEGFVVQAQd3AgoipLnGkTQ8o9kh", from: "447700900456", at: "2024-06-14T15:17:02Z", [
                "message.system.type": "identity_changed", "message.system.identity": "q8Zk2mLx0aE=",
                "message.system.new_wa_id": nil,
            ]),
        ]),
        .init("onprem-inbound-unknown-unsupported.json", [
            .message("unknown", "ABEGFVVQAQd3AgoZrIMs9dKPYc-B", from: "15550100314", at: "2024-06-14T15:20:00Z", [
                "message.type": "unknown", "message.errors.0.code": 501, "message.errors.0.title": "Unknown message type",
                "message.errors.0.details": "This kind of message cannot be shown by the API client",
            ]),
        ]),
        .init("onprem-inbound-batch-2contacts-3messages.json", [
            .message("text", "ABEGFVVQAQd3Ago03-bV3mZ_m3Wb", from: "15550100777", at: "2024-06-14T15:30:00Z", [
                "message.text": "Morning! Order 88142 status?", "contact.name": "Dana Whitlock",
            ]),
            .message("image", "ABEGFVVQAQd3Ago5tQJNyMvTQIA4", from: "447700900456", at: "2024-06-14T15:30:01Z", [
                "message.media.caption": nil, "message.media.mime_type": "image/png", "contact.name": "Priya Raman",
            ]),
            .message("text", "ABEGFVVQAQd3AgoN26FA9cgOKrvc", from: "447700900456", at: "2024-06-14T15:30:03Z", [
                "message.context.id": "gBEGFVVQAQd3Agk0gQfzLVaqlCs", "contact.name": "Priya Raman",
            ]),
        ]),
        .init("onprem-mixed-message-and-status.json", [
            .message("text", "ABEGFVVQAQd3AgoViYk5at3CDD3Q", from: "15550100314", at: "2024-06-14T15:31:40Z", [
                "message.text": "Got it, thanks",
            ]),
            .status("read", "gBEGFVVQAQd3Agkdn3wK-NWHiDY", to: "15550100314", at: "2024-06-14T15:31:38Z", [
                "contact.name": "Tomás Ferreira",
            ]),
        ]),
    ]

    static let onPremisesStatusesAndErrors: [FixtureExpectation] = [
        .init("onprem-status-sent.json", [
            .status("sent", "gBEGFVVQAQd3Agkl_X-ICLLqTvu", to: "15550100777", at: "2024-06-14T15:46:40Z", [
                "status.conversation": nil, "status.pricing": nil, "status.errors": .array([]), "contact.name": nil,
            ]),
        ]),
        .init("onprem-status-delivered.json", [
            .status("delivered", "gBEGFVVQAQd3Agkl_X-ICLLqTvu", to: "15550100777", at: "2024-06-14T15:46:44Z", [
                "status.conversation.id": "be51ab3de07c23940786ee3bb30d1554", "status.conversation.origin": nil,
                "status.conversation.expires_at": nil, "status.pricing.billable": true,
                "status.pricing.pricing_model": "CBP", "status.pricing.category": nil,
            ]),
        ]),
        .init("onprem-status-read.json", [
            .status("read", "gBEGFVVQAQd3Agkl_X-ICLLqTvu", to: "15550100777", at: "2024-06-14T15:47:41Z"),
        ]),
        .init("onprem-status-failed.json", [
            .status("failed", "gBEGFVVQAQd3Agk099DdhSZAfq_", to: "447700900456", at: "2024-06-14T15:48:40Z", [
                "status.errors.0.code": 470,
                "status.errors.0.title": "Customer care window has closed; send an approved template instead",
                "status.errors.0.details": "Last inbound message from this user is older than 24 hours",
                "status.errors.0.href": "https://developers.facebook.com/docs/whatsapp/api/errors/",
            ]),
        ]),
        .init("onprem-status-deleted.json", [
            .status("deleted", "ABEGFVVQAQd3AgohzaU7PgTu9v5q", to: "15550100777", at: "2024-06-14T15:50:00Z"),
        ]),
        .init("onprem-status-warning.json", [
            .status("warning", "gBEGFVVQAQd3AgkFaWJKTqBbXFQ", to: "15550100314", at: "2024-06-14T15:51:40Z", [
                "status.errors": .array([]),
            ]),
        ]),
        .init("onprem-status-sent-conversation-pricing.json", [
            .status("sent", "gBEGFVVQAQd3AgkyWPRFZ14p8P9", to: "15550100777", at: "2024-06-14T15:51:40Z", [
                "status.conversation.id": "52215f16b0970a96d5a39b01868a924c",
                "status.conversation.origin": "user_initiated", "status.conversation.expires_at": "2024-06-15T15:51:40Z",
                "status.pricing.billable": true, "status.pricing.category": "user_initiated", "raw.type": "message",
            ]),
        ]),
        .init("onprem-status-nested-recipient.json", [
            .status("delivered", "gBEGFVVQAQd3AgkzN0l7tMdUhb2", to: "447700900456", at: "2024-06-14T15:53:20Z", [
                "raw.message.recipient_id": "447700900456",
            ]),
        ]),
        .init("onprem-status-batch-out-of-order.json", [
            .status("read", "gBEGFVVQAQd3AgkyJkMZDI_AJYw", to: "15550100314", at: "2024-06-14T15:55:20Z"),
            .status("sent", "gBEGFVVQAQd3AgkyJkMZDI_AJYw", to: "15550100314", at: "2024-06-14T15:55:00Z"),
            .status("delivered", "gBEGFVVQAQd3AgkxMEETys3jzG7", to: "15550100314", at: "2024-06-14T15:55:11Z"),
        ]),
        .init("onprem-status-numeric-timestamps.json", [
            .message("text", "ABEGFVVQAQd3AgoQm5tRz7Kc2Wd", from: "447700900456", at: "2024-06-14T15:56:50Z", [
                "message.text": "Thanks, see you Friday", "raw.timestamp": 1_718_380_610, "contact.name": nil,
            ]),
            .status("sent", "gBEGFVVQAQd3AgkzR4nLq2XcPvE", to: "447700900456", at: "2024-06-14T15:56:40Z", [
                "status.conversation.expires_at": "2024-06-15T15:56:40Z", "status.conversation.origin": "business_initiated",
            ]),
        ]),
        .init("onprem-errors-notification.json", [
            .error("error:4551a4f10b6606cee75fd34b70ab54e53b39c8671f1f08d6ba30f3e1dbaae857", [
                "error.code": 400, "error.title": "Media download error",
                "error.details": "Could not fetch an inbound attachment from the sender",
                "error.href": "https://developers.facebook.com/docs/whatsapp/api/errors/", "contact": nil,
            ]),
            .error("error:d1e2b8cf4fc42b21e67fd9fb3b6fc5bc63faaa6a98dc5c8adc52356cca3cd73a", [
                "error.code": 1014, "error.title": "Internal error", "error.href": nil,
            ]),
        ]),
    ]
}

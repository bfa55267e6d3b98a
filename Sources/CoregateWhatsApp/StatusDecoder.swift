/// A `statuses[]` item becomes a `status.<status>` event about one of the business's own messages.
///
/// Its `status` body: `{id, status, recipient_id, recipient_user_id, recipient_type,
/// recipient_participant_id, biz_opaque_callback_data, conversation, pricing, errors}`, where
/// `id` is the business's message (for `deleted`, the customer's message that was deleted),
/// `conversation` is `{id, origin, expires_at}`, `pricing` is `{billable, pricing_model,
/// category, type}` and `errors` lists `{code, title, details, href}` (set on `failed`).
///
/// Statuses arrive out of order and `delivered` may be skipped, so `occurred_at` is what orders
/// them. A status value Meta adds later becomes `status.unknown` rather than a refused request.
/// The recipient may be known by a business-scoped user id only (`recipient_user_id`). For a
/// group message `recipient_id` is the group, and each participant's status comes on its own
/// with the same id and status, told apart by `recipient_participant_id`.
enum StatusDecoder {
    /// SPEC §6's six, plus the Cloud API's `played` (a voice message was listened to).
    static let known: Set<String> = ["sent", "delivered", "read", "failed", "deleted", "warning", "played"]

    static func event(_ status: Fields, origin: EventOrigin, contacts: ContactDirectory) throws(DecodeError) -> Event {
        let messageID = try status.requiredIdentifier("id")
        let value = try status.requiredWord("status")
        // Some Coreapps and relays nest the recipient as `message.recipient_id`.
        var recipient = try status.identifier("recipient_id")
        if recipient == nil { recipient = try status.object("message")?.identifier("recipient_id") }
        let recipientUserID = try status.identifier("recipient_user_id")
        let participant = try status.identifier("recipient_participant_id")
        let body: [JSONValue.Member] = [
            .init("id", .string(messageID)),
            .init("status", .string(value)),
            .init("recipient_id", JSONValue(recipient)),
            .init("recipient_user_id", JSONValue(recipientUserID)),
            .init("recipient_type", JSONValue(try status.string("recipient_type"))),
            .init("recipient_participant_id", JSONValue(participant)),
            .init("biz_opaque_callback_data", JSONValue(try status.string("biz_opaque_callback_data"))),
            .init("conversation", JSONValue(try status.object("conversation").map(conversation))),
            .init("pricing", JSONValue(try status.object("pricing").map(pricing))),
            .init("errors", try ErrorDetails.normalizedList(in: status)),
        ]
        return Event(
            id: EventID.status(messageID, value, participant: participant), tenant: origin.tenant,
            type: "status." + (known.contains(value) ? value : "unknown"), source: origin.source.rawValue,
            occurredAt: try status.requiredUnixTime("timestamp"), receivedAt: origin.receivedAt,
            phoneNumberID: origin.phoneNumberID, contact: contacts.contact(waID: recipient, userID: recipientUserID),
            item: .status(.object(body)), raw: .object(status.members))
    }

    /// `expiration_timestamp` comes as a number or a string and only on some statuses.
    private static func conversation(_ conversation: Fields) throws(DecodeError) -> [JSONValue.Member] {
        [
            .init("id", JSONValue(try conversation.string("id"))),
            .init("origin", JSONValue(try conversation.object("origin")?.string("type"))),
            .init("expires_at", JSONValue(try conversation.unixTime("expiration_timestamp").map(RFC3339.seconds))),
        ]
    }

    /// `type` (`regular`, `free_customer_service`, `free_entry_point`) came with per-message pricing.
    private static func pricing(_ pricing: Fields) throws(DecodeError) -> [JSONValue.Member] {
        [
            .init("billable", JSONValue(try pricing.bool("billable"))),
            .init("pricing_model", JSONValue(try pricing.string("pricing_model"))),
            .init("category", JSONValue(try pricing.string("category"))),
            .init("type", JSONValue(try pricing.string("type"))),
        ]
    }
}

/// A `statuses[]` item becomes a `status.<status>` event about one of the business's own messages.
///
/// Its `status` body: `{id, status, recipient_id, conversation, pricing, errors}`, where `id` is
/// the business's message (for `deleted`, the customer's message that was deleted),
/// `conversation` is `{id, origin, expires_at}`, `pricing` is `{billable, pricing_model, category}`
/// and `errors` lists `{code, title, details, href}` (set on `failed`).
///
/// Statuses arrive out of order and `delivered` may be skipped, so `occurred_at` is what orders
/// them. A status value Meta adds later becomes `status.unknown` rather than a refused request.
enum StatusDecoder {
    /// SPEC §6's six, plus the Cloud API's `played` (a voice message was listened to).
    static let known: Set<String> = ["sent", "delivered", "read", "failed", "deleted", "warning", "played"]

    static func event(_ status: Fields, origin: EventOrigin, contacts: ContactDirectory) throws(DecodeError) -> Event {
        let messageID = try status.requiredIdentifier("id")
        let value = try status.requiredString("status")
        guard (1...32).contains(value.utf8.count), value.utf8.allSatisfy({ (0x61...0x7A).contains($0) || $0 == 0x5F }) else {
            throw status.wrong("status", "is not a lowercase word")
        }
        // Some Coreapps and relays nest the recipient as `message.recipient_id`.
        var recipient = try status.identifier("recipient_id")
        if recipient == nil { recipient = try status.object("message")?.identifier("recipient_id") }
        let body: [JSONValue.Member] = [
            .init("id", .string(messageID)),
            .init("status", .string(value)),
            .init("recipient_id", JSONValue(recipient)),
            .init("conversation", JSONValue(try status.object("conversation").map(conversation))),
            .init("pricing", JSONValue(try status.object("pricing").map(pricing))),
            .init("errors", try ErrorDetails.normalizedList(in: status)),
        ]
        return Event(
            id: EventID.status(messageID, value), tenant: origin.tenant,
            type: "status." + (known.contains(value) ? value : "unknown"), source: origin.source.rawValue,
            occurredAt: try status.requiredUnixTime("timestamp"), receivedAt: origin.receivedAt,
            phoneNumberID: origin.phoneNumberID, contact: recipient.map(contacts.contact),
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

    private static func pricing(_ pricing: Fields) throws(DecodeError) -> [JSONValue.Member] {
        [
            .init("billable", JSONValue(try pricing.bool("billable"))),
            .init("pricing_model", JSONValue(try pricing.string("pricing_model"))),
            .init("category", JSONValue(try pricing.string("category"))),
        ]
    }
}

/// A `messages[]` item becomes a `message.<kind>` event.
///
/// Its `message` body has the same keys for every kind — `id`, `from`, `type` (as the sender
/// spelled it: `voice`, `unsupported`, `hologram`…), `context` and `referral` (null unless it is a
/// reply, a forward or an answer to an ad) — plus one key for the kind's content, as
/// `MessageContent` describes. A type nobody knows yet is `message.unknown`, never an error.
enum MessageDecoder {
    static func event(_ message: Fields, origin: EventOrigin, contacts: ContactDirectory) throws(DecodeError) -> Event {
        let id = try message.requiredIdentifier("id")
        let from = try message.requiredIdentifier("from")
        let upstreamType = try message.requiredString("type")
        let occurredAt = try message.requiredUnixTime("timestamp")
        let kind = MessageKind(rawValue: upstreamType) ?? .unknown
        let body: [JSONValue.Member] = [
            .init("id", .string(id)),
            .init("from", .string(from)),
            .init("type", .string(upstreamType)),
            .init("context", JSONValue(try message.object("context").map(context))),
            .init("referral", JSONValue(try message.object("referral").map(referral))),
            try MessageContent.of(kind, in: message),
        ]
        return Event(
            id: EventID.message(id), tenant: origin.tenant, type: "message." + kind.rawValue,
            source: origin.source.rawValue, occurredAt: occurredAt, receivedAt: origin.receivedAt,
            phoneNumberID: origin.phoneNumberID, contact: contacts.contact(from),
            item: .message(.object(body)), raw: .object(message.members))
    }

    /// A reply names the quoted message; a forward only says so. Both flags are always there.
    private static func context(_ context: Fields) throws(DecodeError) -> [JSONValue.Member] {
        [
            .init("from", JSONValue(try context.identifier("from"))),
            .init("id", JSONValue(try context.identifier("id"))),
            .init("forwarded", .bool(try context.bool("forwarded") ?? false)),
            .init("frequently_forwarded", .bool(try context.bool("frequently_forwarded") ?? false)),
        ]
    }

    /// A click-to-WhatsApp ad the customer came from; its picture or clip is a media object.
    private static func referral(_ referral: Fields) throws(DecodeError) -> [JSONValue.Member] {
        var media = try referral.object("image")
        if media == nil { media = try referral.object("video") }
        return [
            .init("headline", JSONValue(try referral.string("headline"))),
            .init("body", JSONValue(try referral.string("body"))),
            .init("source_type", JSONValue(try referral.string("source_type"))),
            .init("source_id", JSONValue(try referral.string("source_id"))),
            .init("source_url", JSONValue(try referral.string("source_url"))),
            .init("media_type", JSONValue(try referral.string("media_type"))),
            .init("media", JSONValue(try media.map(MessageContent.media))),
        ]
    }
}

/// A `messages[]` item becomes a `message.<kind>` event.
///
/// Its `message` body has the same keys for every kind — `id`, `from`, `from_user_id`,
/// `group_id`, `type` (as the sender spelled it: `voice`, `hologram`…), `context` and `referral`
/// (null unless it is a reply, a forward or an answer to an ad) — plus the kind's content, as
/// `MessageContent` describes. A type nobody knows yet is `message.unknown`, never an error.
///
/// The sender is named by `from` (a phone number), `from_user_id` (a business-scoped user id,
/// since 2026), or both; a user known only by a username has no `from`.
enum MessageDecoder {
    static func event(_ message: Fields, origin: EventOrigin, contacts: ContactDirectory) throws(DecodeError) -> Event {
        let id = try message.requiredIdentifier("id")
        let from = try message.identifier("from")
        let fromUserID = try message.identifier("from_user_id")
        guard let contact = contacts.contact(waID: from, userID: fromUserID) else {
            throw DecodeError("\(message.path(of: "from")) and from_user_id are both missing")
        }
        let upstreamType = try message.requiredString("type")
        let occurredAt = try message.requiredUnixTime("timestamp")
        let kind = MessageKind(rawValue: upstreamType) ?? .unknown
        var body: [JSONValue.Member] = [
            .init("id", .string(id)),
            .init("from", JSONValue(from)),
            .init("from_user_id", JSONValue(fromUserID)),
            .init("group_id", JSONValue(try message.identifier("group_id"))),
            .init("type", .string(upstreamType)),
            .init("context", JSONValue(try message.object("context").map(context))),
            .init("referral", JSONValue(try message.object("referral").map(referral))),
        ]
        if let content = try MessageContent.of(kind, in: message) { body.append(content) }
        return Event(
            id: EventID.message(id), tenant: origin.tenant, type: "message." + kind.rawValue,
            source: origin.source.rawValue, occurredAt: occurredAt, receivedAt: origin.receivedAt,
            phoneNumberID: origin.phoneNumberID, contact: contact,
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

    /// A click-to-WhatsApp ad the customer came from. Its picture or clip comes as a media object
    /// (On-Premises) or as URLs (Cloud API); `ctwa_clid` identifies the click for ad reporting.
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
            .init("image_url", JSONValue(try referral.string("image_url"))),
            .init("video_url", JSONValue(try referral.string("video_url"))),
            .init("thumbnail_url", JSONValue(try referral.string("thumbnail_url"))),
            .init("ctwa_clid", JSONValue(try referral.string("ctwa_clid"))),
        ]
    }
}

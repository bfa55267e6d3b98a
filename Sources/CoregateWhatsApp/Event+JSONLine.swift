extension Event {
    /// The event as a handler reads it (SPEC §6): one JSON object, UTF-8, on a single line, without
    /// the trailing newline. Every key is always present (`null` when unknown), in this order.
    /// `schema/event-v1.schema.json` describes it and a test keeps the two in step.
    public func jsonLine() -> [UInt8] {
        // A text message's line is about 700 bytes; a larger one grows as usual.
        var writer = JSONWriter(capacity: 1024)
        writer.write(jsonObject)
        return writer.bytes
    }

    private var jsonObject: JSONValue {
        let (itemKey, itemBody): (String, JSONValue) = switch item {
        case .message(let body): ("message", body)
        case .status(let body): ("status", body)
        case .error(let body): ("error", body)
        case .field(let body): ("field", body)
        }
        return .object([
            .init("version", .number("1")),
            .init("id", .string(id)),
            .init("tenant", .string(tenant)),
            .init("type", .string(type)),
            .init("source", .string(source)),
            .init("occurred_at", JSONValue(occurredAt.map(RFC3339.seconds))),
            .init("received_at", .string(RFC3339.milliseconds(receivedAt))),
            .init("phone_number_id", JSONValue(phoneNumberID)),
            .init("contact", contact.map(Self.json) ?? .null),
            .init(itemKey, itemBody),
            .init("decode_error", JSONValue(decodeError)),
            .init("raw", raw),
        ])
    }

    private static func json(_ contact: Contact) -> JSONValue {
        .object([
            .init("wa_id", JSONValue(contact.waID)),
            .init("user_id", JSONValue(contact.userID)),
            .init("username", JSONValue(contact.username)),
            .init("parent_user_id", JSONValue(contact.parentUserID)),
            .init("name", JSONValue(contact.name)),
        ])
    }
}

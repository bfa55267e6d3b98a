/// What one fixture must decode to: exactly these events, in this order.
struct FixtureExpectation: Sendable, CustomStringConvertible {
    let file: String
    let events: [ExpectedEvent]

    init(_ file: String, _ events: [ExpectedEvent]) {
        self.file = file
        self.events = events
    }

    var description: String { file }
}

/// One event's type, id, customer and time, plus key fields of its JSON line by dotted path.
struct ExpectedEvent: Sendable {
    let type: String
    let id: String
    let contactKey: String?
    let occurredAt: ParsedLine
    let fields: [String: ParsedLine]

    /// A message from `from` (a phone number) or, for a user known by a username, `userID`.
    static func message(
        _ kind: String, _ messageID: String, from: String?, userID: String? = nil, at occurredAt: String,
        _ fields: [String: ParsedLine] = [:]
    ) -> ExpectedEvent {
        var all = fields
        all["message.id"] = .string(messageID)
        all["message.from"] = from.map(ParsedLine.string) ?? .null
        all["message.from_user_id"] = userID.map(ParsedLine.string) ?? .null
        all["decode_error"] = .null
        return ExpectedEvent(
            type: "message." + kind, id: "msg:" + messageID, contactKey: from ?? userID, occurredAt: .string(occurredAt),
            fields: all)
    }

    static func status(
        _ status: String, _ messageID: String, to recipient: String?, userID: String? = nil, participant: String? = nil,
        at occurredAt: String, type: String? = nil, _ fields: [String: ParsedLine] = [:]
    ) -> ExpectedEvent {
        var all = fields
        all["status.id"] = .string(messageID)
        all["status.status"] = .string(status)
        all["status.recipient_id"] = recipient.map(ParsedLine.string) ?? .null
        all["status.recipient_user_id"] = userID.map(ParsedLine.string) ?? .null
        all["status.recipient_participant_id"] = participant.map(ParsedLine.string) ?? .null
        all["decode_error"] = .null
        return ExpectedEvent(
            type: type ?? "status." + status, id: "status:\(messageID):\(status)" + (participant.map { ":" + $0 } ?? ""),
            contactKey: recipient ?? userID, occurredAt: .string(occurredAt), fields: all)
    }

    static func error(_ id: String, _ fields: [String: ParsedLine]) -> ExpectedEvent {
        ExpectedEvent(type: "error", id: id, contactKey: nil, occurredAt: .null, fields: fields)
    }

    /// A change of another webhook field; `id` is worked out independently of the decoder.
    static func field(_ name: String, _ id: String, at occurredAt: ParsedLine, _ fields: [String: ParsedLine]) -> ExpectedEvent {
        var all = fields
        all["field.name"] = .string(name)
        all["contact"] = .null
        all["decode_error"] = .null
        return ExpectedEvent(type: "field." + name, id: id, contactKey: nil, occurredAt: occurredAt, fields: all)
    }

    /// An item that could not be decoded: null body, no customer, no time, the reason given.
    static func malformed(_ type: String, _ id: String, reason: String, _ fields: [String: ParsedLine] = [:]) -> ExpectedEvent {
        var all = fields
        all["decode_error"] = .string(reason)
        all["contact"] = .null
        all[String(type.prefix { $0 != "." })] = .null
        return ExpectedEvent(type: type, id: id, contactKey: nil, occurredAt: .null, fields: all)
    }
}

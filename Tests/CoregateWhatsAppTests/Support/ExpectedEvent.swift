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

    static func message(
        _ kind: String, _ messageID: String, from: String, at occurredAt: String, _ fields: [String: ParsedLine] = [:]
    ) -> ExpectedEvent {
        var all = fields
        all["message.id"] = .string(messageID)
        all["message.from"] = .string(from)
        return ExpectedEvent(type: "message." + kind, id: "msg:" + messageID, contactKey: from, occurredAt: .string(occurredAt), fields: all)
    }

    static func status(
        _ status: String, _ messageID: String, to recipient: String?, at occurredAt: String, type: String? = nil,
        _ fields: [String: ParsedLine] = [:]
    ) -> ExpectedEvent {
        var all = fields
        all["status.id"] = .string(messageID)
        all["status.status"] = .string(status)
        all["status.recipient_id"] = recipient.map(ParsedLine.string) ?? .null
        return ExpectedEvent(
            type: type ?? "status." + status, id: "status:\(messageID):\(status)", contactKey: recipient,
            occurredAt: .string(occurredAt), fields: all)
    }

    static func error(_ id: String, _ fields: [String: ParsedLine]) -> ExpectedEvent {
        ExpectedEvent(type: "error", id: id, contactKey: nil, occurredAt: .null, fields: fields)
    }
}

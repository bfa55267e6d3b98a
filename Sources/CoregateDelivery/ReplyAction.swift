import CoregateStore
import CoregateTenants
import CoregateWhatsApp

/// What a handler asks coregate to do in the customer's conversation instead of calling the
/// sender's API itself (SPEC §10): an exec handler prints `{"reply": ACTION}` lines, a stream
/// handler lists them in its answer's `"actions"`. Both read an ACTION with ``init(_:)``.
public enum ReplyAction: Sendable, Equatable {
    /// `{"text": "…", "quote": false}`: a text message; `quote` quotes the inbound message.
    case text(String, quote: Bool)
    /// `{"mark_read": true, "typing": false}`: marks the inbound message read, with a typing
    /// indicator when `typing` is true (Cloud API only; a Coreapp has none).
    case markRead(typing: Bool)
    /// `{"message": {…}}`: any Cloud API message object, sent as it is with the recipient added.
    case message([JSONValue.Member])

    /// Text bodies are limited to this many characters by the API.
    public static let maxTextLength = 4096

    /// A stream handler's `"actions": [ACTION, …]`; absent or null is none.
    public static func list(_ value: JSONValue?) throws(ReplyError) -> [ReplyAction] {
        switch value {
        case nil, .null?:
            return []
        case .array(let items)?:
            var actions: [ReplyAction] = []
            for (index, item) in items.enumerated() {
                do throws(ReplyError) {
                    actions.append(try ReplyAction(item))
                } catch {
                    throw ReplyError("actions[\(index)]: \(error.message)")
                }
            }
            return actions
        default:
            throw ReplyError("\"actions\" must be a list of actions")
        }
    }

    /// Reads one ACTION object; the error says what is wrong with it in one line.
    public init(_ value: JSONValue) throws(ReplyError) {
        guard case .object(let members) = value else { throw ReplyError("an action must be a JSON object") }
        let keys = Set(members.map(\.key))
        func only(_ allowed: Set<String>) throws(ReplyError) {
            if let unknown = keys.subtracting(allowed).sorted().first {
                throw ReplyError("unknown key \"\(unknown)\" in an action; it takes \(allowed.sorted().map { "\"\($0)\"" }.joined(separator: " and "))")
            }
        }
        func flag(_ key: String) throws(ReplyError) -> Bool {
            switch value[key] {
            case nil, .null: return false
            case .bool(let flag): return flag
            default: throw ReplyError("\"\(key)\" must be true or false")
            }
        }
        switch (value["text"], value["mark_read"], value["message"]) {
        case (let text?, nil, nil):
            try only(["text", "quote"])
            guard case .string(let body) = text, !body.isEmpty else { throw ReplyError("\"text\" must be a non-empty string") }
            guard body.count <= Self.maxTextLength else {
                throw ReplyError("\"text\" has \(body.count) characters; the API takes at most \(Self.maxTextLength)")
            }
            self = .text(body, quote: try flag("quote"))
        case (nil, let markRead?, nil):
            try only(["mark_read", "typing"])
            guard markRead == .bool(true) else { throw ReplyError("\"mark_read\" must be true") }
            self = .markRead(typing: try flag("typing"))
        case (nil, nil, let message?):
            try only(["message"])
            guard case .object(let fields) = message else { throw ReplyError("\"message\" must be a JSON object") }
            guard case .string(let type)? = message["type"], !type.isEmpty else {
                throw ReplyError("\"message\" needs a \"type\", such as \"image\" or \"template\"")
            }
            if let addressed = fields.first(where: { $0.key == "to" || $0.key == "recipient" }) {
                throw ReplyError("\"message\" must not set \"\(addressed.key)\": a reply goes to the event's customer")
            }
            // coregate sets these two itself; a copy of Meta's example that has them is still fine.
            self = .message(fields.filter { $0.key != "messaging_product" && $0.key != "recipient_type" })
        case (nil, nil, nil):
            throw ReplyError("an action needs one of \"text\", \"mark_read\" or \"message\"")
        default:
            throw ReplyError("an action has exactly one of \"text\", \"mark_read\" and \"message\"")
        }
    }

    /// The request that carries out this action for the event's customer, in the shape the
    /// tenant's sender takes: the Cloud API's, or a Coreapp's (no `messaging_product`, and
    /// mark-as-read by the message's own URL, `PUT /v1/messages/<id>`).
    public func request(to customer: ReplyAddress, sender: Sender) throws(ReplyError) -> ReplyRequest {
        let cloud = sender == .cloud
        var body: [JSONValue.Member] = cloud ? [.init("messaging_product", .string("whatsapp"))] : []
        let kind: ReplyRequest.Kind
        guard let recipient = customer.waID ?? customer.userID else {
            throw ReplyError("this event names no customer to reply to")
        }
        func inbound(_ what: String) throws(ReplyError) -> String {
            guard let id = customer.messageID else { throw ReplyError("\(what) needs an inbound message, and this event has none") }
            return id
        }
        var messageID = customer.messageID
        switch self {
        case .markRead(let typing):
            kind = .markRead
            messageID = try inbound("mark_read")
            body += [.init("status", .string("read"))]
            if cloud {
                body += [.init("message_id", .string(messageID!))]
                if typing { body += [.init("typing_indicator", .object([.init("type", .string("text"))]))] }
            }
        case .text(let text, let quote):
            kind = .text
            body += Self.addressed(customer)
            if quote { body += [.init("context", .object([.init("message_id", .string(try inbound("quote")))]))] }
            body += [.init("type", .string("text")), .init("text", .object([.init("body", .string(text))]))]
        case .message(let fields):
            kind = .message
            body += Self.addressed(customer) + fields
        }
        var writer = JSONWriter()
        writer.write(.object(body))
        return ReplyRequest(
            kind: kind, recipient: recipient, phoneNumberID: customer.phoneNumberID, messageID: messageID, body: writer.bytes)
    }

    /// A wa_id goes in `to`; a customer known only by a business-scoped user id in `recipient`.
    private static func addressed(_ customer: ReplyAddress) -> [JSONValue.Member] {
        let recipient: JSONValue.Member =
            if let waID = customer.waID { .init("to", .string(waID)) } else { .init("recipient", .string(customer.userID ?? "")) }
        return [.init("recipient_type", .string("individual")), recipient]
    }
}

/// Why a handler's reply cannot be sent; one line, for the attempt's record and the journal.
public struct ReplyError: Error, Sendable, Equatable, CustomStringConvertible {
    public var message: String

    public init(_ message: String) {
        self.message = message
    }

    public var description: String { message }
}

/// Whom an event's replies go to, read from the event a handler got.
public struct ReplyAddress: Sendable, Equatable {
    public var waID: String?
    public var userID: String?
    /// The inbound message: what a reply quotes and mark-as-read marks.
    public var messageID: String?
    /// The Cloud number the event came to.
    public var phoneNumberID: String?

    public init(waID: String?, userID: String?, messageID: String?, phoneNumberID: String?) {
        self.waID = waID
        self.userID = userID
        self.messageID = messageID
        self.phoneNumberID = phoneNumberID
    }

    /// The customer is the contact, else the message's sender, else a status's recipient, each by
    /// wa_id first (SPEC §6); a missing field and an empty string mean the same.
    public init(event: [UInt8]) {
        let value = (try? JSONParser.parse(event)) ?? .null
        func text(_ value: JSONValue?) -> String? {
            guard case .string(let text)? = value, !text.isEmpty else { return nil }
            return text
        }
        let contact = value["contact"], message = value["message"], status = value["status"]
        self.init(
            waID: text(contact?["wa_id"]) ?? text(message?["from"]) ?? text(status?["recipient_id"]),
            userID: text(contact?["user_id"]) ?? text(message?["from_user_id"]) ?? text(status?["recipient_user_id"]),
            messageID: text(message?["id"]),
            phoneNumberID: text(value["phone_number_id"]))
    }
}

/// A JSON document as it was received, kept so a handler sees the upstream item unchanged:
/// object members stay in their order and numbers keep their exact text (`12.50` stays `12.50`,
/// a 30-digit id stays exact). Foundation's `Any` trees lose both, and are not `Sendable`.
public enum JSONValue: Sendable, Equatable {
    case null
    case bool(Bool)
    /// The number's literal text, already checked against the JSON grammar.
    case number(String)
    case string(String)
    case array([JSONValue])
    case object([Member])

    public struct Member: Sendable, Equatable {
        public var key: String
        public var value: JSONValue

        public init(_ key: String, _ value: JSONValue) {
            self.key = key
            self.value = value
        }
    }

    /// The value of `key` when this is an object that has it.
    public subscript(key: String) -> JSONValue? {
        guard case .object(let members) = self else { return nil }
        return members.first { $0.key == key }?.value
    }
}

extension JSONValue {
    /// Reads one JSON text with the webhook decoder's parser and its limits; nil when it is not JSON.
    public init?(parsing bytes: [UInt8]) {
        guard let value = try? JSONParser.parse(bytes) else { return nil }
        self = value
    }

    /// `null` stands for a field the upstream item did not have, so every normalized body
    /// has the same keys whatever the sender left out.
    init(_ string: String?) {
        self = string.map(JSONValue.string) ?? .null
    }

    init(_ bool: Bool?) {
        self = bool.map(JSONValue.bool) ?? .null
    }

    init(_ object: [Member]?) {
        self = object.map(JSONValue.object) ?? .null
    }
}

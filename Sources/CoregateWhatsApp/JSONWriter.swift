import CoregateJSON

/// Writes JSON text on one line, with no whitespace; strings as `JSONString` writes them.
public struct JSONWriter {
    public private(set) var bytes: [UInt8] = []

    /// Keys sorted by their UTF-8 bytes give one spelling per value, whatever the sender's key
    /// order; that is the canonical form hashed into error ids. Number literals are kept as sent.
    var sortsKeys = false

    public init() {}

    /// Room for `capacity` bytes up front: a line grows byte by byte, and each time the array is
    /// full it is copied into one twice the size.
    init(capacity: Int) {
        bytes.reserveCapacity(capacity)
    }

    public mutating func write(_ value: JSONValue) {
        switch value {
        case .null: append("null")
        case .bool(let flag): append(flag ? "true" : "false")
        case .number(let literal): bytes.append(contentsOf: literal.utf8)
        case .string(let text): write(string: text)
        case .array(let elements):
            bytes.append(UInt8(ascii: "["))
            for (position, element) in elements.enumerated() {
                if position > 0 { bytes.append(UInt8(ascii: ",")) }
                write(element)
            }
            bytes.append(UInt8(ascii: "]"))
        case .object(let members):
            bytes.append(UInt8(ascii: "{"))
            let ordered = sortsKeys ? members.sorted { $0.key.utf8.lexicographicallyPrecedes($1.key.utf8) } : members
            for (position, member) in ordered.enumerated() {
                if position > 0 { bytes.append(UInt8(ascii: ",")) }
                write(string: member.key)
                bytes.append(UInt8(ascii: ":"))
                write(member.value)
            }
            bytes.append(UInt8(ascii: "}"))
        }
    }

    private mutating func write(string: String) {
        JSONString.append(string, to: &bytes)
    }

    private mutating func append(_ text: StaticString) {
        bytes.append(contentsOf: UnsafeBufferPointer(start: text.utf8Start, count: text.utf8CodeUnitCount))
    }
}

import CoregateWhatsApp
import Foundation

/// An event's `jsonLine()` read back by Foundation's JSONDecoder: an independent parser proves
/// the line is valid JSON, and lets a test look values up by a dotted path (`status.errors.0.code`).
enum ParsedLine: Decodable, Equatable, Sendable {
    case null
    case bool(Bool)
    case number(Double)
    case string(String)
    case array([ParsedLine])
    case object([String: ParsedLine])

    init(_ event: Event) throws {
        self = try JSONDecoder().decode(ParsedLine.self, from: Data(event.jsonLine()))
    }

    init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if container.decodeNil() { self = .null }
        else if let flag = try? container.decode(Bool.self) { self = .bool(flag) }
        else if let number = try? container.decode(Double.self) { self = .number(number) }
        else if let text = try? container.decode(String.self) { self = .string(text) }
        else if let elements = try? container.decode([ParsedLine].self) { self = .array(elements) }
        else { self = .object(try container.decode([String: ParsedLine].self)) }
    }

    /// nil when the path leads nowhere, which is not the same as a `null` value.
    subscript(path: String) -> ParsedLine? {
        var value: ParsedLine? = self
        for step in path.split(separator: ".") {
            switch value {
            case .object(let members)?: value = members[String(step)]
            case .array(let elements)?: value = Int(step).flatMap { elements.indices.contains($0) ? elements[$0] : nil }
            default: return nil
            }
        }
        return value
    }

    var keys: [String] {
        guard case .object(let members) = self else { return [] }
        return members.keys.sorted()
    }
}

extension ParsedLine: ExpressibleByStringLiteral, ExpressibleByFloatLiteral, ExpressibleByIntegerLiteral,
    ExpressibleByBooleanLiteral, ExpressibleByNilLiteral
{
    init(stringLiteral value: String) { self = .string(value) }
    init(floatLiteral value: Double) { self = .number(value) }
    init(integerLiteral value: Int) { self = .number(Double(value)) }
    init(booleanLiteral value: Bool) { self = .bool(value) }
    init(nilLiteral: ()) { self = .null }
}

extension ParsedLine: CustomStringConvertible {
    var description: String {
        switch self {
        case .null: "null"
        case .bool(let flag): "\(flag)"
        case .number(let number): "\(number)"
        case .string(let text): "\"\(text)\""
        case .array(let elements): "[" + elements.map(\.description).joined(separator: ",") + "]"
        case .object(let members): "{" + members.keys.sorted().map { "\($0):\(members[$0]!)" }.joined(separator: ",") + "}"
        }
    }
}

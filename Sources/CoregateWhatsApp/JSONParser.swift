/// Reads JSON text (RFC 8259) into a `JSONValue`, refusing what no WhatsApp sender produces but a
/// hostile one might:
/// - nesting deeper than `maxDepth`, so the recursion here can never exhaust the stack;
/// - duplicate keys: parsers disagree on which one wins, so the handler could be shown another
///   message than the one that was checked;
/// - invalid UTF-8, unpaired surrogate escapes and raw control characters in strings.
///
/// One leading UTF-8 byte-order mark is skipped, as RFC 8259 §8.1 allows: refusing it would only
/// make the sender retry the same bytes for a day. Numbers are checked against the grammar and kept
/// as text, so a 100 000-digit literal costs its length and nothing more.
public struct JSONParser {
    /// A webhook nests about ten levels; 64 leaves room for vendor extensions.
    static let maxDepth = 64

    public static func parse(_ bytes: [UInt8]) throws(JSONSyntaxError) -> JSONValue {
        try bytes.withUnsafeBufferPointer { (buffer) throws(JSONSyntaxError) -> JSONValue in
            var parser = JSONParser(bytes: buffer)
            return try parser.parseDocument()
        }
    }

    private let bytes: UnsafeBufferPointer<UInt8>
    private var index = 0
    private var depth = 0

    private init(bytes: UnsafeBufferPointer<UInt8>) {
        self.bytes = bytes
    }

    private mutating func parseDocument() throws(JSONSyntaxError) -> JSONValue {
        if bytes.starts(with: [0xEF, 0xBB, 0xBF]) { index = 3 }
        skipWhitespace()
        guard index < bytes.count else { throw JSONSyntaxError("the body is empty", at: nil) }
        let value = try parseValue()
        skipWhitespace()
        guard index == bytes.count else { throw JSONSyntaxError("more data after the JSON value", at: index) }
        return value
    }

    private mutating func parseValue() throws(JSONSyntaxError) -> JSONValue {
        skipWhitespace()
        guard index < bytes.count else { throw failure("") }
        switch bytes[index] {
        case UInt8(ascii: "{"): return try parseObject()
        case UInt8(ascii: "["): return try parseArray()
        case UInt8(ascii: "\""): return .string(try parseString())
        case UInt8(ascii: "t"): try expectWord("true"); return .bool(true)
        case UInt8(ascii: "f"): try expectWord("false"); return .bool(false)
        case UInt8(ascii: "n"): try expectWord("null"); return .null
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return .number(try parseNumber())
        case let byte: throw JSONSyntaxError("unexpected byte \(hex(byte))", at: index)
        }
    }

    private mutating func parseObject() throws(JSONSyntaxError) -> JSONValue {
        try enterNesting()
        index += 1
        var members: [JSONValue.Member] = []
        var keys = DuplicateKeyCheck()
        skipWhitespace()
        if peek() == UInt8(ascii: "}") {
            index += 1
            depth -= 1
            return .object(members)
        }
        while true {
            skipWhitespace()
            guard peek() == UInt8(ascii: "\"") else { throw failure("expected a key in quotes") }
            let keyOffset = index
            let key = try parseString()
            guard keys.insert(key, into: members) else {
                throw JSONSyntaxError("duplicate key \"\(DecodeError.quotable(key))\"", at: keyOffset)
            }
            skipWhitespace()
            guard peek() == UInt8(ascii: ":") else { throw failure("expected ':' after a key") }
            index += 1
            members.append(JSONValue.Member(key, try parseValue()))
            skipWhitespace()
            switch peek() {
            case UInt8(ascii: ","): index += 1
            case UInt8(ascii: "}"): index += 1; depth -= 1; return .object(members)
            default: throw failure("expected ',' or '}' in an object")
            }
        }
    }

    private mutating func parseArray() throws(JSONSyntaxError) -> JSONValue {
        try enterNesting()
        index += 1
        var elements: [JSONValue] = []
        skipWhitespace()
        if peek() == UInt8(ascii: "]") {
            index += 1
            depth -= 1
            return .array(elements)
        }
        while true {
            elements.append(try parseValue())
            skipWhitespace()
            switch peek() {
            case UInt8(ascii: ","): index += 1
            case UInt8(ascii: "]"): index += 1; depth -= 1; return .array(elements)
            default: throw failure("expected ',' or ']' in an array")
            }
        }
    }

    private mutating func enterNesting() throws(JSONSyntaxError) {
        depth += 1
        guard depth <= Self.maxDepth else {
            throw JSONSyntaxError("nested deeper than \(Self.maxDepth) levels", at: index)
        }
    }

    /// Strings without escapes, nearly all of a webhook, are validated and copied in one step.
    private mutating func parseString() throws(JSONSyntaxError) -> String {
        let start = index
        index += 1
        let contentStart = index
        var isASCII = true
        while index < bytes.count {
            let byte = bytes[index]
            if byte == UInt8(ascii: "\"") {
                let content = UnsafeBufferPointer(rebasing: bytes[contentStart..<index])
                index += 1
                return try makeString(content, isASCII: isASCII, startingAt: start)
            }
            if byte == UInt8(ascii: "\\") {
                var unescaped = Array(bytes[contentStart..<index])
                return try parseEscapedRest(into: &unescaped, startingAt: start)
            }
            guard byte >= 0x20 else { throw JSONSyntaxError("control character \(hex(byte)) in a string", at: index) }
            if byte >= 0x80 { isASCII = false }
            index += 1
        }
        throw JSONSyntaxError("unterminated string", at: start)
    }

    private mutating func parseEscapedRest(into unescaped: inout [UInt8], startingAt start: Int) throws(JSONSyntaxError) -> String {
        while index < bytes.count {
            let byte = bytes[index]
            switch byte {
            case UInt8(ascii: "\""):
                index += 1
                return try unescaped.withUnsafeBufferPointer { (content) throws(JSONSyntaxError) -> String in
                    try makeString(content, isASCII: false, startingAt: start)
                }
            case UInt8(ascii: "\\"):
                try appendEscape(to: &unescaped)
            case ..<0x20:
                throw JSONSyntaxError("control character \(hex(byte)) in a string", at: index)
            default:
                unescaped.append(byte)
                index += 1
            }
        }
        throw JSONSyntaxError("unterminated string", at: start)
    }

    private mutating func appendEscape(to unescaped: inout [UInt8]) throws(JSONSyntaxError) {
        let escapeOffset = index
        index += 1
        guard index < bytes.count else { throw JSONSyntaxError("unterminated string", at: escapeOffset) }
        let letter = bytes[index]
        index += 1
        switch letter {
        case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): unescaped.append(letter)
        case UInt8(ascii: "b"): unescaped.append(0x08)
        case UInt8(ascii: "f"): unescaped.append(0x0C)
        case UInt8(ascii: "n"): unescaped.append(0x0A)
        case UInt8(ascii: "r"): unescaped.append(0x0D)
        case UInt8(ascii: "t"): unescaped.append(0x09)
        case UInt8(ascii: "u"):
            let scalar = try parseUnicodeEscape(startingAt: escapeOffset)
            unescaped.append(contentsOf: String(Character(scalar)).utf8)
        case 0x21...0x7E:
            throw JSONSyntaxError("invalid escape \\\(Character(Unicode.Scalar(letter)))", at: escapeOffset)
        default:
            throw JSONSyntaxError("invalid escape: \\ followed by \(hex(letter))", at: escapeOffset)
        }
    }

    /// `\uD83D\uDE00` is one character; half of such a pair cannot be represented in UTF-8 at all.
    private mutating func parseUnicodeEscape(startingAt escapeOffset: Int) throws(JSONSyntaxError) -> Unicode.Scalar {
        let unit = try parseHex4()
        switch unit {
        case 0xD800...0xDBFF:
            guard index + 1 < bytes.count, bytes[index] == UInt8(ascii: "\\"), bytes[index + 1] == UInt8(ascii: "u") else {
                throw JSONSyntaxError("unpaired surrogate escape", at: escapeOffset)
            }
            index += 2
            let low = try parseHex4()
            guard (0xDC00...0xDFFF).contains(low) else { throw JSONSyntaxError("unpaired surrogate escape", at: escapeOffset) }
            return Unicode.Scalar(0x10000 + ((unit - 0xD800) << 10) + (low - 0xDC00))!
        case 0xDC00...0xDFFF:
            throw JSONSyntaxError("unpaired surrogate escape", at: escapeOffset)
        default:
            return Unicode.Scalar(unit)!
        }
    }

    private mutating func parseHex4() throws(JSONSyntaxError) -> UInt32 {
        guard index + 4 <= bytes.count else { throw JSONSyntaxError("truncated \\u escape", at: index) }
        var value: UInt32 = 0
        for _ in 0..<4 {
            let digit: UInt32
            switch bytes[index] {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = UInt32(bytes[index] - UInt8(ascii: "0"))
            case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = UInt32(bytes[index] - UInt8(ascii: "a") + 10)
            case UInt8(ascii: "A")...UInt8(ascii: "F"): digit = UInt32(bytes[index] - UInt8(ascii: "A") + 10)
            default: throw JSONSyntaxError("invalid hex digit in a \\u escape", at: index)
            }
            value = value << 4 | digit
            index += 1
        }
        return value
    }

    private func makeString(_ content: UnsafeBufferPointer<UInt8>, isASCII: Bool, startingAt start: Int) throws(JSONSyntaxError) -> String {
        if isASCII { return String(decoding: content, as: UTF8.self) }
        guard let string = String(validating: content, as: UTF8.self) else {
            throw JSONSyntaxError("invalid UTF-8 in a string", at: start)
        }
        return string
    }

    /// `-? (0 | [1-9][0-9]*) (. [0-9]+)? ([eE] [+-]? [0-9]+)?`
    private mutating func parseNumber() throws(JSONSyntaxError) -> String {
        let start = index
        guard let end = JSONNumberGrammar.end(of: bytes, from: start) else {
            throw JSONSyntaxError("malformed number", at: start)
        }
        index = end
        return String(decoding: UnsafeBufferPointer(rebasing: bytes[start..<end]), as: UTF8.self)
    }

    private mutating func expectWord(_ word: StaticString) throws(JSONSyntaxError) {
        let start = index
        let length = word.utf8CodeUnitCount
        guard index + length <= bytes.count,
              UnsafeBufferPointer(rebasing: bytes[index..<index + length]).elementsEqual(
                  UnsafeBufferPointer(start: word.utf8Start, count: length))
        else { throw JSONSyntaxError("unexpected byte \(hex(bytes[start]))", at: start) }
        index += length
    }

    private mutating func skipWhitespace() {
        while index < bytes.count {
            switch bytes[index] {
            case UInt8(ascii: " "), UInt8(ascii: "\n"), UInt8(ascii: "\r"), UInt8(ascii: "\t"): index += 1
            default: return
            }
        }
    }

    /// A body that stops in the middle is the common case (a cut-off upload); say so plainly.
    private func failure(_ reason: String) -> JSONSyntaxError {
        index >= bytes.count ? JSONSyntaxError("the body ends in the middle of a value", at: index) : JSONSyntaxError(reason, at: index)
    }

    private func peek() -> UInt8? {
        index < bytes.count ? bytes[index] : nil
    }

    private func hex(_ byte: UInt8) -> String {
        let digits = String(byte, radix: 16, uppercase: true)
        return "0x" + (digits.count == 1 ? "0" + digits : digits)
    }
}

/// Where and why the body stopped being JSON.
public struct JSONSyntaxError: Error, CustomStringConvertible {
    public var reason: String
    /// The byte offset where it went wrong, when there is one to point at.
    public var offset: Int?

    public var description: String { reason + (offset.map { " at byte \($0)" } ?? "") }

    init(_ reason: String, at offset: Int?) {
        self.reason = reason
        self.offset = offset
    }
}

/// Duplicate keys are found by a scan while an object is small, as webhook objects are, and by a set
/// once it is large, so a hostile object with a million keys costs O(n), not O(n²).
private struct DuplicateKeyCheck {
    private static let scanLimit = 16
    private var seen: Set<String>?

    /// False when `key` is already among `members`.
    mutating func insert(_ key: String, into members: [JSONValue.Member]) -> Bool {
        if seen == nil, members.count >= Self.scanLimit {
            seen = Set(members.map(\.key))
        }
        if seen != nil { return seen!.insert(key).inserted }
        return !members.contains { $0.key == key }
    }
}

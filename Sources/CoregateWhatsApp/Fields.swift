import Foundation

/// One object of the body being decoded, with the path it sits at, so every complaint names the
/// field: `messages[1].location.latitude is not a number`.
///
/// The rule throughout: a field that is absent or `null` is simply not there (senders differ in
/// which they leave out); a field that is present with the wrong type makes the body malformed,
/// because a handler would otherwise get a normalized body that silently lost it.
struct Fields {
    let members: [JSONValue.Member]
    let path: String

    init(_ value: JSONValue, at path: String) throws(DecodeError) {
        guard case .object(let members) = value else { throw DecodeError("\(path) is not an object") }
        self.members = members
        self.path = path
    }

    /// The value of `key`, nil when it is absent or `null`.
    subscript(key: String) -> JSONValue? {
        guard let value = members.first(where: { $0.key == key })?.value, value != .null else { return nil }
        return value
    }

    func has(_ key: String) -> Bool {
        self[key] != nil
    }

    func path(of key: String) -> String {
        path.isEmpty ? key : path + "." + key
    }

    func object(_ key: String) throws(DecodeError) -> Fields? {
        guard let value = self[key] else { return nil }
        return try Fields(value, at: path(of: key))
    }

    func requiredObject(_ key: String) throws(DecodeError) -> Fields {
        guard let object = try object(key) else { throw missing(key) }
        return object
    }

    /// The elements of an array of objects, each with its own path (`messages[3]`).
    func objects(_ key: String) throws(DecodeError) -> [Fields]? {
        guard let value = self[key] else { return nil }
        guard case .array(let elements) = value else { throw wrong(key, "is not an array") }
        var objects: [Fields] = []
        objects.reserveCapacity(elements.count)
        for (position, element) in elements.enumerated() {
            objects.append(try Fields(element, at: "\(path(of: key))[\(position)]"))
        }
        return objects
    }

    func string(_ key: String) throws(DecodeError) -> String? {
        guard let value = self[key] else { return nil }
        guard case .string(let text) = value else { throw wrong(key, "is not a string") }
        return text
    }

    func requiredString(_ key: String) throws(DecodeError) -> String {
        guard let text = try string(key) else { throw missing(key) }
        return text
    }

    func bool(_ key: String) throws(DecodeError) -> Bool? {
        guard let value = self[key] else { return nil }
        guard case .bool(let flag) = value else { throw wrong(key, "is not true or false") }
        return flag
    }

    /// The elements of an array, each with its own path (`messages[3]`), whatever their type: each
    /// is an item decoded on its own, so one that is not even an object spoils only itself.
    func elements(_ key: String) throws(DecodeError) -> [(value: JSONValue, path: String)]? {
        guard let value = self[key] else { return nil }
        guard case .array(let elements) = value else { throw wrong(key, "is not an array") }
        return elements.enumerated().map { (value: $1, path: "\(path(of: key))[\($0)]") }
    }

    /// A lowercase word such as a status (`read`) or a webhook field (`account_update`), which
    /// becomes part of an event type and an id.
    func requiredWord(_ key: String) throws(DecodeError) -> String {
        let word = try requiredString(key)
        guard (1...64).contains(word.utf8.count), word.utf8.allSatisfy({ (0x61...0x7A).contains($0) || $0 == 0x5F }) else {
            throw wrong(key, "is not a lowercase word")
        }
        return word
    }

    /// An id, wa_id or similar key that events are stored, ordered or routed by, so it must be
    /// something an operator can type and a log line can hold: 1 to 256 printable ASCII
    /// characters. Surrounding spaces are dropped (one of Meta's own samples has a trailing one).
    /// An empty string is taken as absent: the Cloud API sends `""` for the phone number of a
    /// user known only by a username.
    func identifier(_ key: String) throws(DecodeError) -> String? {
        guard let text = try string(key), !text.isEmpty else { return nil }
        let utf8 = text.utf8
        let isSpace = { (byte: UInt8) in byte == UInt8(ascii: " ") || byte == UInt8(ascii: "\t") }
        let start = utf8.firstIndex { !isSpace($0) } ?? utf8.endIndex
        let end = utf8.lastIndex { !isSpace($0) }.map(utf8.index(after:)) ?? start
        let trimmed = utf8[start..<end]
        guard (1...256).contains(trimmed.count), trimmed.allSatisfy({ (0x21...0x7E).contains($0) }) else {
            throw wrong(key, "is not an id (1 to 256 printable ASCII characters)")
        }
        return start == utf8.startIndex && end == utf8.endIndex ? text : String(text[start..<end])
    }

    func requiredIdentifier(_ key: String) throws(DecodeError) -> String {
        guard let text = try identifier(key) else { throw missing(key) }
        return text
    }

    /// A finite number, sent as a JSON number or as a string holding one (order quantities and
    /// prices come both ways), returned as a number literal with the sender's digits.
    func number(_ key: String) throws(DecodeError) -> JSONValue? {
        let literal: String
        switch self[key] {
        case nil: return nil
        case .number(let text)?: literal = text
        case .string(let text)? where JSONNumberGrammar.matches(text): literal = text
        default: throw wrong(key, "is not a number")
        }
        guard let value = Double(literal), value.isFinite else { throw wrong(key, "is not a finite number") }
        return .number(literal)
    }

    func requiredNumber(_ key: String) throws(DecodeError) -> JSONValue {
        guard let number = try number(key) else { throw missing(key) }
        return number
    }

    /// An error code: an integer, as a number or a string of digits.
    func integer(_ key: String) throws(DecodeError) -> Int? {
        let text: String
        switch self[key] {
        case nil: return nil
        case .number(let literal)?, .string(let literal)?: text = literal
        default: throw wrong(key, "is not an integer")
        }
        guard let value = Int(text) else { throw wrong(key, "is not an integer") }
        return value
    }

    /// Unix seconds, as a string of digits (On-Premises) or a number (some Cloud and BSP
    /// payloads). Up to the end of year 9999, so a millisecond value is caught, not misdated.
    func unixTime(_ key: String) throws(DecodeError) -> Date? {
        let digits: String
        switch self[key] {
        case nil: return nil
        case .string(let text)?, .number(let text)?: digits = text
        default: throw wrong(key, "is not a Unix time")
        }
        guard (1...12).contains(digits.utf8.count), digits.utf8.allSatisfy({ (0x30...0x39).contains($0) }),
              let seconds = Int64(digits), seconds <= 253_402_300_799
        else { throw wrong(key, "is not a Unix time in seconds") }
        return Date(timeIntervalSince1970: TimeInterval(seconds))
    }

    func requiredUnixTime(_ key: String) throws(DecodeError) -> Date {
        guard let date = try unixTime(key) else { throw missing(key) }
        return date
    }

    func missing(_ key: String) -> DecodeError {
        DecodeError("\(path(of: key)) is missing")
    }

    func wrong(_ key: String, _ complaint: String) -> DecodeError {
        DecodeError("\(path(of: key)) \(complaint)")
    }
}

/// The JSON number grammar, shared by the parser and by fields that arrive as numbers in one
/// source and as strings in another (`"quantity": "1"`), so both are held to the same rule.
enum JSONNumberGrammar {
    /// The index just past the number that starts at `start`, or nil when none does.
    /// `-? (0 | [1-9][0-9]*) (. [0-9]+)? ([eE] [+-]? [0-9]+)?`
    static func end<Bytes: Collection<UInt8>>(of bytes: Bytes, from start: Bytes.Index) -> Bytes.Index? {
        var index = start
        func isDigit(_ at: Bytes.Index) -> Bool {
            at < bytes.endIndex && (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(bytes[at])
        }
        func skipDigits() -> Bool {
            guard isDigit(index) else { return false }
            while isDigit(index) { index = bytes.index(after: index) }
            return true
        }
        if index < bytes.endIndex, bytes[index] == UInt8(ascii: "-") { index = bytes.index(after: index) }
        if index < bytes.endIndex, bytes[index] == UInt8(ascii: "0") {
            index = bytes.index(after: index)
        } else if !skipDigits() {
            return nil
        }
        if index < bytes.endIndex, bytes[index] == UInt8(ascii: ".") {
            index = bytes.index(after: index)
            guard skipDigits() else { return nil }
        }
        if index < bytes.endIndex, bytes[index] == UInt8(ascii: "e") || bytes[index] == UInt8(ascii: "E") {
            index = bytes.index(after: index)
            if index < bytes.endIndex, bytes[index] == UInt8(ascii: "+") || bytes[index] == UInt8(ascii: "-") {
                index = bytes.index(after: index)
            }
            guard skipDigits() else { return nil }
        }
        return index
    }

    /// True when all of `text` is one JSON number.
    static func matches(_ text: String) -> Bool {
        let utf8 = text.utf8
        return end(of: utf8, from: utf8.startIndex) == utf8.endIndex
    }
}

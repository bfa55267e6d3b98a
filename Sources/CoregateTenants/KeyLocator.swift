/// Finds the line of each key in a TOML file.
///
/// TOMLKit reports a line only for syntax errors, yet an operator needs `FILE:LINE` for a wrong
/// type or an unknown key too. So after TOMLKit has accepted a file, this scans its text once and
/// records where every table header, key and array element begins. Because the text is known to
/// be valid TOML, the scanner only has to tell keys, strings, arrays and inline tables apart; it
/// never has to diagnose anything.
struct KeyLocator: Sendable {
    private var lines: [KeyPath: Int]

    init(text: String) {
        var scanner = Scanner(bytes: Array(text.utf8))
        scanner.scanDocument()
        lines = scanner.lines
    }

    /// The line where `path` is written, or else where its nearest written parent is (a missing
    /// key is reported at its table's header); nil for a key missing from the top level.
    func line(of path: KeyPath) -> Int? {
        var candidate: KeyPath? = path
        while let current = candidate {
            if let line = lines[current] { return line }
            candidate = current.parent
        }
        return nil
    }
}

private struct Scanner {
    let bytes: [UInt8]
    var index = 0
    var line = 1
    var lines: [KeyPath: Int] = [:]
    /// How many `[[name]]` headers each array of tables has had so far, to number its elements.
    var arrayTableCounts: [KeyPath: Int] = [:]

    init(bytes: [UInt8]) {
        self.bytes = bytes
    }

    private var current: UInt8? { index < bytes.count ? bytes[index] : nil }

    private func peek(_ offset: Int) -> UInt8? {
        index + offset < bytes.count ? bytes[index + offset] : nil
    }

    mutating func scanDocument() {
        var table = KeyPath.root
        while true {
            skipBlankLinesAndComments()
            guard let byte = current else { return }
            let start = index
            if byte == UInt8(ascii: "[") {
                table = scanHeader()
            } else {
                scanKeyValue(in: table)
            }
            skipSpacesAndComment()
            if index == start { skipLine() }  // never loop on text this scanner does not understand
        }
    }

    // MARK: Headers and keys

    private mutating func scanHeader() -> KeyPath {
        let isArrayOfTables = peek(1) == UInt8(ascii: "[")
        index += isArrayOfTables ? 2 : 1
        let keys = scanDottedKey()
        skipSpaces()
        index += isArrayOfTables ? 2 : 1

        var path = KeyPath.root
        for (position, key) in keys.enumerated() {
            path = path.appending(key)
            if isArrayOfTables && position == keys.count - 1 {
                let count = arrayTableCounts[path, default: 0]
                arrayTableCounts[path] = count + 1
                note(path)
                path = path.appending(index: count)
            } else if let count = arrayTableCounts[path] {
                // `[handlers.env]` after `[[handlers]]` extends the latest element.
                path = path.appending(index: count - 1)
            }
            note(path)
        }
        return path
    }

    private mutating func scanKeyValue(in table: KeyPath) {
        let keys = scanDottedKey()
        guard !keys.isEmpty else { return }
        skipSpaces()
        guard current == UInt8(ascii: "=") else { return }
        index += 1
        skipSpaces()
        var path = table
        for key in keys {
            path = path.appending(key)
            note(path)
        }
        scanValue(at: path)
    }

    private mutating func scanDottedKey() -> [String] {
        var keys: [String] = []
        while true {
            skipSpaces()
            guard let key = scanSimpleKey() else { return keys }
            keys.append(key)
            skipSpaces()
            guard current == UInt8(ascii: ".") else { return keys }
            index += 1
        }
    }

    private mutating func scanSimpleKey() -> String? {
        switch current {
        case UInt8(ascii: "\""):
            index += 1
            return scanBasicStringContent()
        case UInt8(ascii: "'"):
            index += 1
            let start = index
            while let byte = current, byte != UInt8(ascii: "'") { index += 1 }
            defer { index += 1 }
            return String(decoding: bytes[start..<index], as: UTF8.self)
        default:
            let start = index
            while let byte = current, ASCII.isLetterOrDigit(byte, or: "_-") { index += 1 }
            return index > start ? String(decoding: bytes[start..<index], as: UTF8.self) : nil
        }
    }

    /// Reads a quoted key after its opening quote, decoding the escapes a key is likely to use.
    private mutating func scanBasicStringContent() -> String {
        var content: [UInt8] = []
        while let byte = current, byte != UInt8(ascii: "\"") {
            index += 1
            guard byte == UInt8(ascii: "\\"), let escaped = current else {
                content.append(byte)
                continue
            }
            index += 1
            switch escaped {
            case UInt8(ascii: "n"): content.append(0x0A)
            case UInt8(ascii: "t"): content.append(0x09)
            case UInt8(ascii: "r"): content.append(0x0D)
            case UInt8(ascii: "b"): content.append(0x08)
            case UInt8(ascii: "f"): content.append(0x0C)
            case UInt8(ascii: "u"), UInt8(ascii: "U"):
                let length = escaped == UInt8(ascii: "u") ? 4 : 8
                let end = min(index + length, bytes.count)
                let hex = String(decoding: bytes[index..<end], as: UTF8.self)
                index = end
                if let scalar = UInt32(hex, radix: 16).flatMap(Unicode.Scalar.init) {
                    content.append(contentsOf: Array(String(Character(scalar)).utf8))
                }
            default: content.append(escaped)
            }
        }
        index += 1
        return String(decoding: content, as: UTF8.self)
    }

    // MARK: Values

    private mutating func scanValue(at path: KeyPath) {
        switch current {
        case UInt8(ascii: "\""), UInt8(ascii: "'"):
            scanString()
        case UInt8(ascii: "["):
            index += 1
            var element = 0
            while true {
                skipBlankLinesAndComments()
                guard let byte = current else { return }
                if byte == UInt8(ascii: "]") {
                    index += 1
                    return
                }
                let start = index
                let elementPath = path.appending(index: element)
                note(elementPath)
                scanValue(at: elementPath)
                element += 1
                skipBlankLinesAndComments()
                if current == UInt8(ascii: ",") { index += 1 }
                if index == start { index += 1 }
            }
        case UInt8(ascii: "{"):
            index += 1
            while true {
                skipBlankLinesAndComments()
                guard let byte = current else { return }
                if byte == UInt8(ascii: "}") {
                    index += 1
                    return
                }
                let start = index
                scanKeyValue(in: path)
                skipBlankLinesAndComments()
                if current == UInt8(ascii: ",") { index += 1 }
                if index == start { index += 1 }
            }
        default:
            // Numbers, booleans and dates; a date may contain a space, so stop only at what ends a value.
            while let byte = current, !Self.endsScalar(byte) { index += 1 }
        }
    }

    private static func endsScalar(_ byte: UInt8) -> Bool {
        byte == UInt8(ascii: ",") || byte == UInt8(ascii: "]") || byte == UInt8(ascii: "}")
            || byte == UInt8(ascii: "#") || byte == 0x0A || byte == 0x0D
    }

    private mutating func scanString() {
        guard let quote = current else { return }
        let isMultiline = peek(1) == quote && peek(2) == quote
        let allowsEscapes = quote == UInt8(ascii: "\"")
        index += isMultiline ? 3 : 1
        while let byte = current {
            if byte == 0x0A { line += 1 }
            if allowsEscapes && byte == UInt8(ascii: "\\") {
                index += 1
                if current == 0x0A { line += 1 }
                index += 1
                continue
            }
            if byte == quote {
                if !isMultiline {
                    index += 1
                    return
                }
                if peek(1) == quote && peek(2) == quote {
                    index += 3
                    // Up to two more quotes belong to the content: `""""` ends with one quote of text.
                    var extra = 0
                    while current == quote && extra < 2 {
                        index += 1
                        extra += 1
                    }
                    return
                }
            }
            index += 1
        }
    }

    // MARK: Whitespace and comments

    private mutating func skipSpaces() {
        while let byte = current, byte == 0x20 || byte == 0x09 { index += 1 }
    }

    private mutating func skipSpacesAndComment() {
        skipSpaces()
        if current == UInt8(ascii: "#") {
            while let byte = current, byte != 0x0A { index += 1 }
        }
    }

    private mutating func skipBlankLinesAndComments() {
        while true {
            skipSpacesAndComment()
            guard let byte = current, byte == 0x0A || byte == 0x0D else { return }
            if byte == 0x0A { line += 1 }
            index += 1
        }
    }

    private mutating func skipLine() {
        while let byte = current, byte != 0x0A { index += 1 }
    }

    /// The first place wins: a table's header comes before the keys that extend it.
    private mutating func note(_ path: KeyPath) {
        if lines[path] == nil { lines[path] = line }
    }
}

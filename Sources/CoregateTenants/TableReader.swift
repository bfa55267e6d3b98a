import TOMLKit

/// Reads one TOML table strictly: each value must have the type asked for, and a key nobody asked
/// for is reported as unknown, so a typo such as `verfy` cannot silently switch a check off.
///
/// Every accessor records a problem and returns nil when the value is missing or wrong, so the
/// caller reads on and `check` lists every mistake at once.
final class TableReader {
    let path: KeyPath
    let log: ProblemLog
    private let table: TOMLTable
    private var readKeys: Set<String> = []

    init(table: TOMLTable, path: KeyPath, log: ProblemLog) {
        self.table = table
        self.path = path
        self.log = log
    }

    func keyPath(_ key: String) -> KeyPath { path.appending(key) }

    /// The raw value, marking `key` as known.
    func value(_ key: String) -> TOMLValueConvertible? {
        readKeys.insert(key)
        return table[key]
    }

    func string(_ key: String, required: Bool = false, expected: String = "a string") -> String? {
        guard let value = present(key, required: required) else { return nil }
        return convert(value, at: keyPath(key), expected: expected) { $0.string }
    }

    func int(_ key: String, in range: ClosedRange<Int>) -> Int? {
        guard let value = present(key, required: false),
            let number = convert(value, at: keyPath(key), expected: "an integer", { $0.int })
        else { return nil }
        guard range.contains(number) else {
            log.error("`\(keyPath(key))` must be from \(range.lowerBound) to \(range.upperBound), not \(number)", at: keyPath(key))
            return nil
        }
        return number
    }

    func bool(_ key: String) -> Bool? {
        guard let value = present(key, required: false) else { return nil }
        return convert(value, at: keyPath(key), expected: "true or false") { $0.bool }
    }

    /// An array of strings; nil when absent or when any element is not a string.
    func strings(_ key: String, required: Bool = false) -> [(value: String, path: KeyPath)]? {
        guard let value = present(key, required: required),
            let array = convert(value, at: keyPath(key), expected: "an array of strings", { $0.array })
        else { return nil }
        var strings: [(String, KeyPath)] = []
        var allStrings = true
        for (position, element) in array.enumerated() {
            let elementPath = keyPath(key).appending(index: position)
            if let string = convert(element, at: elementPath, expected: "a string", { $0.string }) {
                strings.append((string, elementPath))
            } else {
                allStrings = false
            }
        }
        return allStrings ? strings : nil
    }

    func table(_ key: String) -> TableReader? {
        guard let value = present(key, required: false),
            let table = convert(value, at: keyPath(key), expected: "a table", { $0.table })
        else { return nil }
        return TableReader(table: table, path: keyPath(key), log: log)
    }

    /// An array of tables, written as `[[key]]` headers or as an array of inline tables.
    func tables(_ key: String) -> [TableReader]? {
        guard let value = present(key, required: false),
            let array = convert(value, at: keyPath(key), expected: "an array of tables ([[\(keyPath(key))]])", { $0.array })
        else { return nil }
        var tables: [TableReader] = []
        for (position, element) in array.enumerated() {
            let elementPath = keyPath(key).appending(index: position)
            if let table = convert(element, at: elementPath, expected: "a table", { $0.table }) {
                tables.append(TableReader(table: table, path: elementPath, log: log))
            }
        }
        return tables
    }

    func duration(_ key: String) -> Duration? {
        guard let text = string(key, expected: "a duration such as \"10s\"") else { return nil }
        do {
            return try DurationParser.parse(text)
        } catch {
            log.error("`\(keyPath(key))`: \(error.message)", at: keyPath(key))
            return nil
        }
    }

    /// A size, written either as a number of bytes or as a string such as `"64KiB"`.
    func size(_ key: String) -> Int? {
        guard let value = present(key, required: false) else { return nil }
        do {
            if let bytes = value.int { return try SizeParser.bytes(bytes) }
            guard let text = convert(value, at: keyPath(key), expected: "a size such as 65536 or \"64KiB\"", { $0.string })
            else { return nil }
            return try SizeParser.parse(text)
        } catch {
            log.error("`\(keyPath(key))`: \(error.message)", at: keyPath(key))
            return nil
        }
    }

    /// A list of networks in CIDR notation, such as `allow_from`; a bad entry is reported and left out.
    func networks(_ key: String) -> [CIDR]? {
        guard let texts = strings(key) else { return nil }
        var networks: [CIDR] = []
        for (text, path) in texts {
            do {
                networks.append(try CIDR(parsing: text))
            } catch {
                log.error("`\(path)`: \(error.message)", at: path)
            }
        }
        return networks
    }

    /// One of a fixed set of words, such as `sender` or `delivery.mode`.
    func choice<Choice: RawRepresentable & CaseIterable>(_ key: String, required: Bool = false) -> Choice?
    where Choice.RawValue == String {
        guard let text = string(key, required: required) else { return nil }
        guard let choice = Choice(rawValue: text) else {
            let names = Choice.allCases.map { "\"\($0.rawValue)\"" }
            let allowed = names.count == 2 ? names.joined(separator: " or ") : "one of " + names.joined(separator: ", ")
            log.error("`\(keyPath(key))` must be \(allowed), not \"\(text)\"", at: keyPath(key))
            return nil
        }
        return choice
    }

    /// Every entry, for tables whose keys are free names (a handler's `env`).
    func entries() -> [(key: String, value: TOMLValueConvertible)] {
        table.keys.compactMap { key in value(key).map { (key, $0) } }
    }

    /// Reports each key no accessor asked for; call once the table has been read.
    func reportUnknownKeys() {
        let unknown = table.keys.filter { !readKeys.contains($0) }
        guard !unknown.isEmpty else { return }
        let known = readKeys.sorted().joined(separator: ", ")
        for key in unknown {
            log.error("unknown key `\(keyPath(key))` (known here: \(known))", at: keyPath(key))
        }
    }

    /// TOMLKit never frees a parsed document. Emptying the root frees every value in it, so that
    /// reloading a thousand tenants does not leak a thousand documents. Call it on the root, last:
    /// readers of the inner tables point into the document.
    func freeDocument() {
        table.clear()
    }

    // MARK: Helpers

    private func present(_ key: String, required: Bool) -> TOMLValueConvertible? {
        let found = value(key)
        if found == nil && required {
            log.error("missing required key `\(keyPath(key))`", at: keyPath(key))
        }
        return found
    }

    private func convert<T>(
        _ value: TOMLValueConvertible, at path: KeyPath, expected: String, _ conversion: (TOMLValueConvertible) -> T?
    ) -> T? {
        if let converted = conversion(value) { return converted }
        log.error("`\(path)` must be \(expected), not \(Self.describe(value.type))", at: path)
        return nil
    }

    private static func describe(_ type: TOMLType) -> String {
        switch type {
        case .string: "a string"
        case .int: "an integer"
        case .double: "a floating-point number"
        case .bool: "a boolean"
        case .array: "an array"
        case .table: "a table"
        case .date, .time, .dateTime: "a date or time"
        }
    }
}

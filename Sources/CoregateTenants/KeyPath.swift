import Foundation

/// Names one value in a config file the way `check` shows it: `verify.basic.password`, `handlers[1].timeout`.
///
/// The key locator and the table reader both build paths with this type, so a path the reader
/// complains about is the same path the locator found a line for. Array indices count from 0.
struct KeyPath: Hashable, Sendable, CustomStringConvertible {
    enum Component: Hashable, Sendable {
        case key(String)
        case index(Int)
    }

    static let root = KeyPath(components: [])

    var components: [Component]

    func appending(_ key: String) -> KeyPath {
        KeyPath(components: components + [.key(key)])
    }

    func appending(index: Int) -> KeyPath {
        KeyPath(components: components + [.index(index)])
    }

    var parent: KeyPath? {
        components.isEmpty ? nil : KeyPath(components: Array(components.dropLast()))
    }

    var description: String {
        var text = ""
        for component in components {
            switch component {
            case .key(let key):
                if !text.isEmpty { text += "." }
                text += Self.isBare(key) ? key : Self.quoted(key)
            case .index(let index):
                text += "[\(index)]"
            }
        }
        return text
    }

    /// A key that TOML would accept unquoted; any other key is shown in quotes so the path stays unambiguous.
    private static func isBare(_ key: String) -> Bool {
        !key.isEmpty && key.utf8.allSatisfy { ASCII.isLetterOrDigit($0, or: "_-") }
    }

    private static func quoted(_ key: String) -> String {
        "\"" + key.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"") + "\""
    }
}

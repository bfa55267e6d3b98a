/// One glob from a handler's `events` list, such as `message.*`, `status.read`, `*` or `error`.
///
/// `*` stands for any run of characters, dots included, so `*` takes every event and
/// `message.*` every message (but not a bare `message`). Every other character stands for itself.
/// A glob is made of `a-z`, `0-9`, `.`, `_`, `-` and `*`: on those SQLite's `GLOB` means the same,
/// so `coregate events --type` filters in the store with the handlers' own dialect.
public struct EventTypePattern: Sendable, Hashable, CustomStringConvertible {
    public let glob: String

    public init(_ glob: String) {
        self.glob = glob
    }

    /// nil when `glob` is empty or has a character outside the dialect.
    public init?(validating glob: String) {
        guard !glob.isEmpty, glob.utf8.allSatisfy(Self.isGlobByte) else { return nil }
        self.init(glob)
    }

    private static func isGlobByte(_ byte: UInt8) -> Bool {
        ASCII.isLowercaseLetter(byte) || ASCII.isDigit(byte) || "._-*".utf8.contains(byte)
    }

    public var description: String { glob }

    public func matches(_ eventType: String) -> Bool {
        let pattern = Array(glob.utf8)
        let text = Array(eventType.utf8)
        var p = 0
        var t = 0
        // Where the last `*` was and how much text it has taken so far: on a mismatch it takes one more.
        var lastStar: Int?
        var takenByStar = 0
        while t < text.count {
            if p < pattern.count, pattern[p] == UInt8(ascii: "*") {
                lastStar = p
                takenByStar = t
                p += 1
            } else if p < pattern.count, pattern[p] == text[t] {
                p += 1
                t += 1
            } else if let star = lastStar {
                p = star + 1
                takenByStar += 1
                t = takenByStar
            } else {
                return false
            }
        }
        while p < pattern.count, pattern[p] == UInt8(ascii: "*") {
            p += 1
        }
        return p == pattern.count
    }
}

extension HandlerConfig {
    /// Whether this handler is run for events of this type: when any of its `events` globs matches.
    public func takes(eventType: String) -> Bool {
        events.contains { EventTypePattern($0).matches(eventType) }
    }
}

import CoregateTenants

/// One glob from a handler's `events` list, such as `message.*`, `status.read`, `*` or `error`.
///
/// `*` stands for any run of characters, dots included, so `*` takes every event and
/// `message.*` every message (but not a bare `message`). Every other character stands for itself.
public struct EventTypePattern: Sendable, Hashable, CustomStringConvertible {
    public let glob: String

    public init(_ glob: String) {
        self.glob = glob
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

import Foundation

/// Times are stored as integer milliseconds since 1970: they index, compare and subtract in SQL
/// without parsing, and a millisecond is finer than anything the dispatcher schedules.
extension Date {
    var storeMilliseconds: Int64 { Int64((timeIntervalSince1970 * 1000).rounded()) }

    init(storeMilliseconds: Int64) {
        self.init(timeIntervalSince1970: Double(storeMilliseconds) / 1000)
    }
}

extension Duration {
    /// Whole milliseconds, as attempts are stored and as operators read them.
    public var milliseconds: Int64 {
        components.seconds * 1000 + components.attoseconds / 1_000_000_000_000_000
    }

    public var timeInterval: TimeInterval {
        Double(components.seconds) + Double(components.attoseconds) * 1e-18
    }
}

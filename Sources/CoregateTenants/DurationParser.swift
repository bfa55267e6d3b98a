/// Reads durations as SPEC §3 writes them: a whole number and one unit, `500ms`, `10s`, `5m`, `1h`,
/// and `7d` for the retention, which is counted in days.
///
/// One unit only and no fractions, so every value has one obvious spelling. A duration must be
/// positive: each one in the config is a timeout, where zero would mean "fail at once".
enum DurationParser {
    static func parse(_ text: String) throws(ConfigValueError) -> Duration {
        let digits = text.prefix { $0.isASCII && $0.isNumber }
        // Nine digits are more than any timeout needs and keep `Duration`'s arithmetic far from overflow.
        guard !digits.isEmpty, digits.count <= 9, let amount = Int64(digits) else {
            throw ConfigValueError("bad duration \"\(text)\": write a whole number and a unit: 500ms, 10s, 5m, 1h, 7d")
        }
        let duration: Duration
        switch text.dropFirst(digits.count) {
        case "ms": duration = .milliseconds(amount)
        case "s": duration = .seconds(amount)
        case "m": duration = .seconds(amount * 60)
        case "h": duration = .seconds(amount * 3600)
        case "d": duration = .seconds(amount * 86400)
        default: throw ConfigValueError("bad duration \"\(text)\": write a whole number and a unit: 500ms, 10s, 5m, 1h, 7d")
        }
        guard amount > 0 else { throw ConfigValueError("bad duration \"\(text)\": must be more than zero") }
        return duration
    }
}

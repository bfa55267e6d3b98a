/// Reads sizes as SPEC §3 writes them: a number of bytes, or a whole number with `KiB`, `MiB` or `GiB`.
///
/// Decimal units (`KB`, `MB`, `GB`) are refused rather than guessed at: `4MB` could mean
/// 4,000,000 or 4,194,304 bytes, and the operator should not have to wonder which one a limit is.
enum SizeParser {
    private static let units: [Substring: Int] = ["": 1, "B": 1, "KiB": 1 << 10, "MiB": 1 << 20, "GiB": 1 << 30]
    private static let decimalUnits: Set<Substring> = ["k", "K", "KB", "kB", "M", "MB", "G", "GB"]

    static func parse(_ text: String) throws(ConfigValueError) -> Int {
        let digits = text.prefix { $0.isASCII && $0.isNumber }
        let unit = text.dropFirst(digits.count)
        guard !digits.isEmpty, let amount = Int(digits) else {
            throw ConfigValueError("bad size \"\(text)\": write a number of bytes or a whole number with KiB, MiB or GiB")
        }
        guard let multiplier = units[unit] else {
            if decimalUnits.contains(unit) {
                throw ConfigValueError("bad size \"\(text)\": use KiB, MiB or GiB (powers of 1024), not decimal units")
            }
            throw ConfigValueError("bad size \"\(text)\": write a number of bytes or a whole number with KiB, MiB or GiB")
        }
        return try checked(amount, multiplier: multiplier, text: text)
    }

    /// A size written as a TOML integer: a number of bytes.
    static func bytes(_ amount: Int) throws(ConfigValueError) -> Int {
        try checked(amount, multiplier: 1, text: String(amount))
    }

    private static func checked(_ amount: Int, multiplier: Int, text: String) throws(ConfigValueError) -> Int {
        let (size, overflow) = amount.multipliedReportingOverflow(by: multiplier)
        guard !overflow else { throw ConfigValueError("bad size \"\(text)\": too large") }
        guard size > 0 else { throw ConfigValueError("bad size \"\(text)\": must be more than zero") }
        return size
    }
}

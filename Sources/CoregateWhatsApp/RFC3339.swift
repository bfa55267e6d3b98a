import Foundation

/// RFC 3339 UTC timestamps (`2024-06-14T13:20:05Z`, `…:05.123Z`), computed directly from the
/// Unix time: no formatter, locale or calendar object, so it is cheap, `Sendable` and always UTC.
public enum RFC3339 {
    public static func seconds(_ date: Date) -> String {
        format(milliseconds: Int64((date.timeIntervalSince1970 * 1000).rounded(.down)), fraction: false)
    }

    public static func milliseconds(_ date: Date) -> String {
        format(milliseconds: Int64((date.timeIntervalSince1970 * 1000).rounded()), fraction: true)
    }

    /// Appends `…T13:20:05.123Z` for this many milliseconds since 1970, as bytes: for writers of
    /// a line per request (the log), which need no `String` in between.
    public static func append(millisecondsSince1970 milliseconds: Int64, to bytes: inout [UInt8]) {
        append(milliseconds: milliseconds, fraction: true, to: &bytes)
    }

    private static func format(milliseconds: Int64, fraction: Bool) -> String {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(24)
        append(milliseconds: milliseconds, fraction: fraction, to: &bytes)
        return String(decoding: bytes, as: UTF8.self)
    }

    private static func append(milliseconds: Int64, fraction: Bool, to bytes: inout [UInt8]) {
        let (days, millisecondOfDay) = milliseconds.quotientAndRemainder(dividingBy: 86_400_000)
        let (day, dayMillis) = millisecondOfDay < 0 ? (days - 1, millisecondOfDay + 86_400_000) : (days, millisecondOfDay)
        let (year, month, dayOfMonth) = civilDate(daysSinceEpoch: day)
        let second = dayMillis / 1000
        appendPadded(year, 4, to: &bytes)
        bytes.append(UInt8(ascii: "-"))
        appendPadded(month, 2, to: &bytes)
        bytes.append(UInt8(ascii: "-"))
        appendPadded(dayOfMonth, 2, to: &bytes)
        bytes.append(UInt8(ascii: "T"))
        appendPadded(second / 3600, 2, to: &bytes)
        bytes.append(UInt8(ascii: ":"))
        appendPadded(second / 60 % 60, 2, to: &bytes)
        bytes.append(UInt8(ascii: ":"))
        appendPadded(second % 60, 2, to: &bytes)
        if fraction {
            bytes.append(UInt8(ascii: "."))
            appendPadded(dayMillis % 1000, 3, to: &bytes)
        }
        bytes.append(UInt8(ascii: "Z"))
    }

    /// Howard Hinnant's `civil_from_days`: the proleptic Gregorian date of a day count.
    private static func civilDate(daysSinceEpoch: Int64) -> (Int64, Int64, Int64) {
        let z = daysSinceEpoch + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let dayOfEra = z - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let shiftedMonth = (5 * dayOfYear + 2) / 153
        let day = dayOfYear - (153 * shiftedMonth + 2) / 5 + 1
        let month = shiftedMonth < 10 ? shiftedMonth + 3 : shiftedMonth - 9
        return (yearOfEra + era * 400 + (month <= 2 ? 1 : 0), month, day)
    }

    /// At least `width` digits, zeros in front; a wider value (a year past 9999) keeps all of its.
    private static func appendPadded(_ value: Int64, _ width: Int, to bytes: inout [UInt8]) {
        if value < 0 { bytes.append(UInt8(ascii: "-")) }
        let magnitude = value.magnitude
        var divisor: UInt64 = 1
        var digits = 1
        while magnitude / divisor >= 10 {
            divisor *= 10
            digits += 1
        }
        for _ in digits..<max(width, digits) { bytes.append(UInt8(ascii: "0")) }
        while divisor > 0 {
            bytes.append(UInt8(ascii: "0") + UInt8(magnitude / divisor % 10))
            divisor /= 10
        }
    }
}

/// Reads `handler_uids`, the uids coregate may give tenants' handlers: `"FIRST-LAST"`.
///
/// The range stays clear of the ids a system already uses for something: the system users below
/// 1000 (root and the service's own user among them), `nobody` (65534), 65535 (the old 16-bit
/// "no id"), and ids from 2^31 on, which some tools read as negative.
enum UIDRangeParser {
    static let allowed: ClosedRange<UInt32> = 1000...2_147_483_646
    static let reserved: ClosedRange<UInt32> = 65534...65535

    static func parse(_ text: String) throws(ConfigValueError) -> ClosedRange<UInt32> {
        let parts = text.split(separator: "-", omittingEmptySubsequences: false)
        guard parts.count == 2, let first = number(parts[0]), let last = number(parts[1]) else {
            throw ConfigValueError("bad uid range \"\(text)\": write two numbers, such as \"800000-800999\"")
        }
        guard first <= last else {
            throw ConfigValueError("bad uid range \"\(text)\": the first uid is larger than the last")
        }
        guard allowed.contains(first), allowed.contains(last) else {
            throw ConfigValueError(
                "bad uid range \"\(text)\": uids must lie within \(allowed.lowerBound)-\(allowed.upperBound), clear of system users")
        }
        guard !(first...last).overlaps(reserved) else {
            throw ConfigValueError("bad uid range \"\(text)\": it includes 65534 (nobody) or 65535")
        }
        return first...last
    }

    private static func number(_ digits: Substring) -> UInt32? {
        guard !digits.isEmpty, digits.count <= 10, digits.allSatisfy({ $0.isASCII && $0.isNumber }) else { return nil }
        return UInt32(digits)
    }
}

/// Tenant ids and handler names: `[a-z0-9][a-z0-9_-]{0,62}` (SPEC §3).
///
/// They end up in URL paths, file names under the state folder, environment values and journal
/// fields, so they are kept to characters that mean nothing special in any of those.
enum Identifier {
    static let rule = "[a-z0-9][a-z0-9_-]{0,62}"

    static func isValid(_ text: String) -> Bool {
        let bytes = Array(text.utf8)
        let isLowercaseLetterOrDigit = { ASCII.isLowercaseLetter($0) || ASCII.isDigit($0) }
        guard let first = bytes.first, bytes.count <= 63, isLowercaseLetterOrDigit(first) else { return false }
        return bytes.dropFirst().allSatisfy { isLowercaseLetterOrDigit($0) || $0 == UInt8(ascii: "_") || $0 == UInt8(ascii: "-") }
    }
}

/// Byte classes for the config's restricted alphabets (ids, keys, paths, header names), which are
/// all ASCII; a byte of a multi-byte character is in none of them.
enum ASCII {
    static func isDigit(_ byte: UInt8) -> Bool { byte >= 0x30 && byte <= 0x39 }
    static func isLowercaseLetter(_ byte: UInt8) -> Bool { byte >= 0x61 && byte <= 0x7A }
    static func isLetter(_ byte: UInt8) -> Bool { isLowercaseLetter(byte) || (byte >= 0x41 && byte <= 0x5A) }
    static func isLetterOrDigit(_ byte: UInt8) -> Bool { isLetter(byte) || isDigit(byte) }

    /// Whether `byte` is a letter, a digit, or one of `others`.
    static func isLetterOrDigit(_ byte: UInt8, or others: String) -> Bool {
        isLetterOrDigit(byte) || others.utf8.contains(byte)
    }
}

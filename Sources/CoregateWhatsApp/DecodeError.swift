/// Why a request body is not a WhatsApp webhook this tenant can take; the gateway answers 400 with it.
///
/// `message` is one line that names the offending field (`messages[2].timestamp is not a Unix time`)
/// and never quotes more than a short, sanitized key from the body, so it is safe in a response.
public struct DecodeError: Error, Sendable, Equatable, CustomStringConvertible {
    public var message: String

    init(_ message: String) {
        self.message = message
    }

    public var description: String { message }
}

extension DecodeError {
    init(_ syntax: JSONSyntaxError) {
        self.init("invalid JSON: \(syntax.reason)" + (syntax.offset.map { " at byte \($0)" } ?? ""))
    }

    /// A key from the body, made fit to quote in a one-line message: at most 40 characters,
    /// anything but printable ASCII (and the quote itself) shown as `?`.
    static func quotable(_ text: String) -> String {
        let limit = 40
        let shown = text.unicodeScalars.prefix(limit).map { scalar -> Character in
            (0x20..<0x7F).contains(scalar.value) && scalar != "\"" && scalar != "\\" ? Character(scalar) : "?"
        }
        return String(shown) + (text.unicodeScalars.count > limit ? "…" : "")
    }
}

import NIOCore
import NIOHTTP1

/// What the gateway answers. Bodies are short JSON: senders only look at the status.
public struct Answer: Sendable, Equatable {
    public var status: HTTPResponseStatus
    public var contentType: String
    public var body: String

    public init(status: HTTPResponseStatus, contentType: String = "application/json", body: String) {
        self.status = status
        self.contentType = contentType
        self.body = body
    }

    /// A one-line JSON error. The text is fixed per status so a failed check reveals nothing.
    public static func error(_ status: HTTPResponseStatus, _ message: String) -> Answer {
        Answer(status: status, body: #"{"error":"\#(jsonEscaped(message))"}"#)
    }

    public static let notFound = Answer.error(.notFound, "no such tenant path")
    public static let methodNotAllowed = Answer.error(.methodNotAllowed, "method not allowed")
    public static let payloadTooLarge = Answer.error(.payloadTooLarge, "body over the limit")
    public static let shuttingDown = Answer.error(.serviceUnavailable, "shutting down")
}

/// Escapes a string for a JSON string literal.
public func jsonEscaped(_ text: String) -> String {
    var out = ""
    out.reserveCapacity(text.utf8.count)
    for scalar in text.unicodeScalars {
        switch scalar {
        case "\"": out += "\\\""
        case "\\": out += "\\\\"
        case "\n": out += "\\n"
        case "\r": out += "\\r"
        case "\t": out += "\\t"
        case _ where scalar.value < 0x20:
            out += "\\u" + String(scalar.value, radix: 16).leftPadded(to: 4)
        default: out.unicodeScalars.append(scalar)
        }
    }
    return out
}

extension String {
    fileprivate func leftPadded(to width: Int) -> String {
        String(repeating: "0", count: max(0, width - count)) + self
    }
}

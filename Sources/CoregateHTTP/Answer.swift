import CoregateJSON
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
        Answer(status: status, body: #"{"error":\#(JSONString.quoted(message))}"#)
    }

    public static let notFound = Answer.error(.notFound, "no such tenant path")
    public static let methodNotAllowed = Answer.error(.methodNotAllowed, "method not allowed")
    public static let payloadTooLarge = Answer.error(.payloadTooLarge, "body over the limit")
    public static let shuttingDown = Answer.error(.serviceUnavailable, "shutting down")
}

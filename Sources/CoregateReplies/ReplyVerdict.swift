import CoregateWhatsApp
import Foundation

/// What one answer of the sender's API means for the action that was sent.
///
/// Meta answers a refusal with HTTP 400 and `{"error": {"code": N, …}}`; some codes only mean
/// "too fast" and are worth another try, as are 429, any 5xx, 408 and no answer at all. Every
/// other refusal will not change by trying again: the action is a dead letter at once.
enum ReplyVerdict: Equatable {
    case sent(messageID: String?)
    /// `after`: the API said when (`Retry-After`).
    case retry(after: Duration?)
    case refused

    /// Meta's rate-limit error codes: 4 (app), 80007 (business account), 130429 (the number's
    /// throughput), 131056 (pair rate: too many to one customer), 133016 (registration).
    static let rateLimitCodes: Set<Int> = [4, 80007, 130429, 131056, 133016]

    init(status: Int, body: [UInt8], retryAfter: String?) {
        let json = try? JSONParser.parse(body)
        switch status {
        case 200..<300:
            guard case .array(let messages)? = json?["messages"], case .string(let id)? = messages.first?["id"] else {
                self = .sent(messageID: nil)
                return
            }
            self = .sent(messageID: id)
        case 408, 429, 500..<600:
            self = .retry(after: retryAfter.flatMap(Int.init).map { .seconds($0) })
        default:
            let error = json?["error"]
            if case .number(let code)? = error?["code"], let code = Int(code), Self.rateLimitCodes.contains(code) {
                self = .retry(after: nil)
            } else if error?["is_transient"] == .bool(true) {
                self = .retry(after: nil)
            } else {
                self = .refused
            }
        }
    }

    /// The answer as kept with the action: the status and the start of the body.
    static func answer(status: Int, body: [UInt8]) -> String {
        let limit = 2000
        let text = String(decoding: body.prefix(limit), as: UTF8.self)
        return "HTTP \(status)" + (text.isEmpty ? "" : ": " + text) + (body.count > limit ? "…" : "")
    }
}

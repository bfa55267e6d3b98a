import CoregateStore
import CoregateTenants
import Foundation
import Testing
@testable import CoregateReplies

@Suite("What the API's answers mean")
struct ReplyVerdictTests {
    @Test("2xx is sent, with the message id when the answer has one")
    func sent() {
        #expect(ReplyVerdict(status: 200, body: Array(#"{"messages":[{"id":"wamid.X"}]}"#.utf8), retryAfter: nil) == .sent(messageID: "wamid.X"))
        #expect(ReplyVerdict(status: 200, body: Array(#"{"success":true}"#.utf8), retryAfter: nil) == .sent(messageID: nil))
        #expect(ReplyVerdict(status: 201, body: [], retryAfter: nil) == .sent(messageID: nil))
    }

    @Test("429, 408 and 5xx are retried, after Retry-After when given", arguments: [429, 408, 500, 502, 503])
    func retried(status: Int) {
        #expect(ReplyVerdict(status: status, body: Array("x".utf8), retryAfter: nil) == .retry(after: nil))
        #expect(ReplyVerdict(status: status, body: [], retryAfter: "7") == .retry(after: .seconds(7)))
    }

    @Test("Meta's rate-limit codes are retried, other refusals are not", arguments: [4, 80007, 130429, 131056, 133016])
    func rateLimitCodes(code: Int) {
        let body = Array(#"{"error":{"message":"slow","code":\#(code)}}"#.utf8)
        #expect(ReplyVerdict(status: 400, body: body, retryAfter: nil) == .retry(after: nil))
    }

    @Test("a refusal, a transient flag, a body that is not JSON")
    func refusals() {
        #expect(ReplyVerdict(status: 400, body: Array(#"{"error":{"code":131047}}"#.utf8), retryAfter: nil) == .refused)
        #expect(ReplyVerdict(status: 400, body: Array(#"{"error":{"code":1,"is_transient":true}}"#.utf8), retryAfter: nil) == .retry(after: nil))
        #expect(ReplyVerdict(status: 401, body: Array("<html>".utf8), retryAfter: nil) == .refused)
        #expect(ReplyVerdict.answer(status: 400, body: Array("no".utf8)) == "HTTP 400: no")
    }
}

@Suite("Where actions are sent")
struct ReplyEndpointTests {
    let config = ReplyConfig(token: Secret(reference: "env:T", value: Array("t".utf8)), baseURL: "http://127.0.0.1:9")

    func request(_ kind: ReplyRequest.Kind, number: String? = "1065", message: String? = "wamid.A/B") -> ReplyRequest {
        ReplyRequest(kind: kind, recipient: "1555", phoneNumberID: number, messageID: message, body: [])
    }

    @Test("Cloud: the Graph API's messages edge of the event's number")
    func cloud() throws {
        let endpoint = try ReplyEndpoint(request(.markRead), sender: .cloud, config: config)
        #expect(endpoint.method == .post && endpoint.url == "http://127.0.0.1:9/v26.0/1065/messages")
        #expect(throws: ReplyEndpoint.Missing.self) { try ReplyEndpoint(request(.text, number: nil), sender: .cloud, config: config) }
    }

    @Test("on-premises: /v1/messages, and mark-as-read by the message's URL, escaped")
    func onPremises() throws {
        #expect(try ReplyEndpoint(request(.text), sender: .onPremises, config: config).url == "http://127.0.0.1:9/v1/messages")
        let read = try ReplyEndpoint(request(.markRead), sender: .onPremises, config: config)
        #expect(read.method == .put && read.url == "http://127.0.0.1:9/v1/messages/wamid.A%2FB")
    }

    @Test("one number is paced at its rate; another is not held up")
    func pacing() {
        var pacer = NumberPacer()
        let now = Date()
        #expect(pacer.take("a", rate: 2, now: now) == nil)
        #expect(pacer.take("a", rate: 2, now: now).map { abs($0 - 0.5) < 0.001 } == true)
        #expect(pacer.take("b", rate: 2, now: now) == nil)
        #expect(pacer.take("a", rate: 2, now: now + 0.5) == nil)
    }
}

import CoregateStore
import CoregateTenants
import CoregateWhatsApp
import Foundation
import Testing
@testable import CoregateDelivery

@Suite("Reply actions handlers ask for")
struct ReplyActionTests {
    func action(_ json: String) throws(ReplyError) -> ReplyAction {
        try ReplyAction(try! JSONParser.parse(Array(json.utf8)))
    }

    func body(_ request: ReplyRequest) -> String { String(decoding: request.body, as: UTF8.self) }

    let customer = ReplyAddress(waID: "15550001111", userID: nil, messageID: "wamid.IN", phoneNumberID: "1065")

    @Test("each kind of ACTION, with its options")
    func kinds() throws {
        #expect(try action(#"{"text":"hi"}"#) == .text("hi", quote: false))
        #expect(try action(#"{"text":"hi","quote":true}"#) == .text("hi", quote: true))
        #expect(try action(#"{"mark_read":true,"typing":true}"#) == .markRead(typing: true))
        #expect(try action(#"{"message":{"type":"image","image":{"id":"1"}}}"#)
            == .message([.init("type", .string("image")), .init("image", .object([.init("id", .string("1"))]))]))
    }

    @Test("a bad ACTION says what is wrong", arguments: [
        (#"{"txt":"hi"}"#, "needs one of"),
        (#"{"text":"hi","mark_read":true}"#, "exactly one"),
        (#"{"text":""}"#, "non-empty"),
        (#"{"text":"hi","quote":"yes"}"#, "true or false"),
        (#"{"text":"hi","colour":1}"#, "unknown key \"colour\""),
        (#"{"mark_read":false}"#, "must be true"),
        (#"{"message":{"image":{}}}"#, "needs a \"type\""),
        (#"{"message":{"type":"text","to":"123"}}"#, "must not set \"to\""),
        (#"["text"]"#, "JSON object"),
    ])
    func refusals(json: String, words: String) {
        #expect { try action(json) } throws: { ($0 as? ReplyError)?.message.contains(words) == true }
    }

    @Test("a stream answer's actions list: in order, none when absent, the bad one named by its index")
    func list() throws {
        func parse(_ json: String) throws(ReplyError) -> [ReplyAction] {
            try ReplyAction.list(try! JSONParser.parse(Array(json.utf8))["actions"])
        }
        #expect(try parse(#"{"actions":[{"mark_read":true},{"text":"a"}]}"#) == [.markRead(typing: false), .text("a", quote: false)])
        #expect(try parse(#"{"id":"x"}"#).isEmpty)
        #expect { try parse(#"{"actions":[{"text":"a"},{"txt":"b"}]}"#) } throws: { "\($0)".hasPrefix("actions[1]: ") }
        #expect(throws: ReplyError.self) { try parse(#"{"actions":{"text":"a"}}"#) }
        let answered = HandlerResult(outcome: .succeeded, startedAt: Date(), duration: .zero, standardOutput: Array("{\"reply\":{\"text\":\"from stdout\"}}".utf8))
        let run = invocation(event: Array(#"{"contact":{"wa_id":"1555"}}"#.utf8), sender: .onPremises)
        var result = answered
        result.addressReplies(.success([.text("from the answer", quote: false)]), for: run)
        #expect(result.replies.map { String(decoding: $0.body, as: UTF8.self) } == [#"{"recipient_type":"individual","to":"1555","type":"text","text":{"body":"from the answer"}}"#])
        result = answered
        result.addressReplies(.failure(ReplyError("actions[0]: bad")), for: run)
        #expect(result.outcome == .badReply(reason: "actions[0]: bad") && result.replies.isEmpty)
    }

    @Test("a text over 4,096 characters is refused")
    func tooLong() {
        #expect(throws: ReplyError.self) { try action(#"{"text":"\#(String(repeating: "é", count: 4097))"}"#) }
    }

    @Test("Cloud bodies carry messaging_product and the recipient; on-premises ones do not carry the product")
    func bodies() throws {
        let quoted = try action(#"{"text":"hi","quote":true}"#).request(to: customer, sender: .cloud)
        #expect(body(quoted) == #"{"messaging_product":"whatsapp","recipient_type":"individual","to":"15550001111","context":{"message_id":"wamid.IN"},"type":"text","text":{"body":"hi"}}"#)
        #expect(quoted.kind == .text && quoted.recipient == "15550001111" && quoted.phoneNumberID == "1065")
        let read = try action(#"{"mark_read":true,"typing":true}"#).request(to: customer, sender: .cloud)
        #expect(body(read) == #"{"messaging_product":"whatsapp","status":"read","message_id":"wamid.IN","typing_indicator":{"type":"text"}}"#)
        #expect(body(try action(#"{"mark_read":true}"#).request(to: customer, sender: .onPremises)) == #"{"status":"read"}"#)
        let image = try action(#"{"message":{"messaging_product":"whatsapp","type":"image","image":{"link":"x","n":1.50}}}"#)
        #expect(body(try image.request(to: customer, sender: .onPremises)) == #"{"recipient_type":"individual","to":"15550001111","type":"image","image":{"link":"x","n":1.50}}"#)
    }

    @Test("a user known only by a user id is addressed by recipient; an event with no customer cannot be answered")
    func addressing() throws {
        let user = ReplyAddress(waID: nil, userID: "US.1", messageID: nil, phoneNumberID: "1065")
        #expect(body(try action(#"{"text":"hi"}"#).request(to: user, sender: .cloud)).contains(#""recipient":"US.1""#))
        #expect(throws: ReplyError.self) { try action(#"{"mark_read":true}"#).request(to: user, sender: .cloud) }
        let nobody = ReplyAddress(waID: nil, userID: nil, messageID: nil, phoneNumberID: nil)
        #expect(throws: ReplyError.self) { try action(#"{"text":"hi"}"#).request(to: nobody, sender: .cloud) }
    }

    @Test("the address comes from the event: contact, else the message's sender")
    func addressFromEvent() {
        let event = #"{"id":"msg:x","phone_number_id":"1065","contact":{"wa_id":"","user_id":"US.9"},"message":{"id":"wamid.M","from":null,"from_user_id":"US.9"}}"#
        #expect(ReplyAddress(event: Array(event.utf8)) == ReplyAddress(waID: nil, userID: "US.9", messageID: "wamid.M", phoneNumberID: "1065"))
    }
}

@Suite("An exec handler's reply lines")
struct ExecReplyLinesTests {
    func actions(_ stdout: String, truncated: Bool = false) throws(ReplyError) -> [ReplyAction] {
        try ExecReplyLines.actions(in: Array(stdout.utf8), truncated: truncated)
    }

    @Test("reply lines among other output, in order; other JSON lines are output")
    func mixed() throws {
        let out = "starting\n{\"reply\": {\"text\": \"a\"}}\n{\"log\": 1}\n  {\"reply\":{\"mark_read\":true}}\r\nnot json {\n"
        #expect(try actions(out) == [.text("a", quote: false), .markRead(typing: false)])
    }

    @Test("a line meant as a reply that is not one is an error naming the line")
    func broken() {
        #expect { try actions("ok\n{\"reply\": {\"text\": \"a\"}\n") } throws: { "\($0)".contains("line 2") }
        #expect { try actions("{\"reply\": {\"text\": \"a\"}, \"more\": 1}\n") } throws: { "\($0)".contains("only \"reply\"") }
    }

    @Test("stdout cut at the limit after a reply may have lost replies: an error")
    func truncated() throws {
        #expect(throws: ReplyError.self) { try actions("{\"reply\": {\"text\": \"a\"}}\nxxxx", truncated: true) }
        #expect(try actions("just output\nxxx", truncated: true).isEmpty)
    }

    @Test("a success with a bad reply becomes a bad-reply attempt that stores nothing")
    func badReplyAttempt() {
        let run = invocation(event: Array("{}".utf8), sender: .cloud)
        var result = HandlerResult(outcome: .succeeded, startedAt: Date(), duration: .zero, standardOutput: Array("{\"reply\":{}}".utf8))
        result.addressExecReplies(for: run)
        #expect(result.outcome.recordedName == "bad-reply" && result.replies.isEmpty)
        #expect(String(decoding: result.recordedOutput, as: UTF8.self) == "{\"reply\":{}}\ncoregate: cannot send the reply: stdout line 1: an action needs one of \"text\", \"mark_read\" or \"message\"\n")
        var failed = HandlerResult(outcome: .failed(exitStatus: 1), startedAt: Date(), duration: .zero, standardOutput: Array("{\"reply\":{\"text\":\"a\"}}".utf8))
        failed.addressExecReplies(for: run)
        #expect(failed.outcome == .failed(exitStatus: 1) && failed.replies.isEmpty)
    }
}

/// A run of the `bot` handler on `event`, for the reply addressing that follows every run.
func invocation(event: [UInt8], sender: Sender) -> HandlerInvocation {
    HandlerInvocation(
        tenant: "acme", sender: sender, handler: HandlerConfig(name: "bot", events: ["message.*"], command: ["/bin/true"]),
        eventID: "e", eventType: "message.text", eventJSON: event, attempt: 1, stateDirectory: "/nonexistent")
}

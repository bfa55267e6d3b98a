import Testing

@testable import CoregateDelivery

/// The answer line of the stream protocol: what is an answer, and what stops the worker.
@Suite("Stream answer")
struct StreamAnswerTests {
    @Test("an answer names its event, one of three statuses, an optional detail and actions")
    func answers() throws {
        let done = try StreamAnswer(line: Array(#"{"id":"msg:a","status":"done","detail":"ok","actions":[{"text":"hi"}]}"#.utf8))
        #expect(done.id == "msg:a" && done.status == .done && done.detail == "ok")
        #expect(try done.actions.get() == [.text("hi", quote: false)])
        let bare = try StreamAnswer(line: Array(#"{"status":"retry","id":"msg:b","detail":null}"#.utf8))
        #expect(bare.status == .retry && bare.detail.isEmpty)
        #expect(try bare.actions.get().isEmpty)
    }

    @Test("a bad action is the attempt's problem, not the line's: the answer still ends its event")
    func badActionIsNoGarbage() throws {
        let answer = try StreamAnswer(line: Array(#"{"id":"msg:a","status":"done","actions":[{"txt":"b"}]}"#.utf8))
        #expect(throws: ReplyError.self) { try answer.actions.get() }
    }

    @Test("lines that are no answer are refused, each saying why", arguments: [
        ("not json", "not a JSON object"),
        (#"["id","done"]"#, "not a JSON object"),
        (#"{"status":"done"}"#, "no \"id\""),
        (#"{"id":"","status":"done"}"#, "no \"id\""),
        (#"{"id":"msg:a","status":"ok"}"#, "\"status\""),
        (#"{"id":"msg:a","status":"done","detail":3}"#, "\"detail\""),
        (#"{"id":"msg:a","status":"done"} trailing"#, "not a JSON object"),
    ])
    func refusals(line: String, reason: String) {
        #expect { try StreamAnswer(line: Array(line.utf8)) } throws: { "\($0)".contains(reason) }
    }
}

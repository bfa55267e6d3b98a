import Foundation
import Testing
@testable import CoregateStore

/// Reply actions live and die with the attempt that asked for them, and go out in each customer's order.
@Suite("Reply actions in the store")
struct ReplyActionStoreTests {
    func text(_ body: String, to recipient: String = "15550001111") -> ReplyRequest {
        ReplyRequest(kind: .text, recipient: recipient, phoneNumberID: "1065", messageID: "wamid.in", body: Array(body.utf8))
    }

    func succeeded(with replies: [ReplyRequest]) -> HandlerResult {
        var report = report(.succeeded)
        report.replies = replies
        return report
    }

    @Test("a successful attempt's actions are stored in its settle transaction; a retried one's are not", arguments: Backend.available)
    func onlyDoneAttemptsStoreActions(backend: Backend) async throws {
        let place = try await StorePlace(backend)
        let store = try await place.open()
        _ = try await store.enqueue([makeEvent("e1")])
        let first = try await store.claimAll()
        var retried = report(.retryRequested)
        retried.replies = [text("from the retried attempt")]
        _ = try await store.settle([.attempted(first[0], retried, .retrying(at: Date()))], claims: [:])
        #expect(try await store.dueReplies(limit: 10).isEmpty)

        let second = try await store.claimAll()
        _ = try await store.settle([.attempted(second[0], succeeded(with: [text("one"), text("two")]), .done)], claims: [:])
        let due = try await store.dueReplies(limit: 10)
        #expect(due.map { String(decoding: $0.request.body, as: UTF8.self) } == ["one"], "one customer: only the first is due")
        let shown = try #require(try await store.event(id: "e1").first?.deliveries.first?.replies)
        #expect(shown.map(\.attempt) == [2, 2])
        #expect(shown.map(\.state) == [.pending, .pending])
    }

    @Test("a sent action lets the customer's next one go; other customers go side by side", arguments: Backend.available)
    func customerOrder(backend: Backend) async throws {
        let place = try await StorePlace(backend)
        let store = try await place.open()
        _ = try await store.enqueue([makeEvent("a", contact: "A"), makeEvent("b", contact: "B")])
        let claims = try await store.claimAll()
        _ = try await store.settle([
            .attempted(claims[0], succeeded(with: [text("a1", to: "A"), text("a2", to: "A")]), .done),
            .attempted(claims[1], succeeded(with: [text("b1", to: "B")]), .done),
        ], claims: [:])
        let due = try await store.dueReplies(limit: 10)
        #expect(due.map { String(decoding: $0.request.body, as: UTF8.self) }.sorted() == ["a1", "b1"])
        let a1 = try #require(due.first { $0.request.recipient == "A" })
        try await store.recordReplyOutcomes([.sent(id: a1.id, messageID: "wamid.out", answer: "HTTP 200")])
        // b1, handed out and not yet recorded, is due again on SQLite (one sender); a store that
        // several nodes share holds it for the sender that took it, for a lease.
        let next = try await store.dueReplies(limit: 10).map { String(decoding: $0.request.body, as: UTF8.self) }
        #expect(next.sorted() == (backend == .sqlite ? ["a2", "b1"] : ["a2"]))
    }

    @Test("a retry waits its time, a dead action keeps the answer, and replay makes it due with fresh tries", arguments: Backend.available)
    func retryDeadReplay(backend: Backend) async throws {
        let place = try await StorePlace(backend)
        let store = try await place.open()
        _ = try await store.enqueue([makeEvent("e1")])
        let claim = try await store.claimAll()[0]
        _ = try await store.settle([.attempted(claim, succeeded(with: [text("x")]), .done)], claims: [:])
        let action = try #require(try await store.dueReplies(limit: 1).first)
        let later = Date() + 60
        try await store.recordReplyOutcomes([.retry(id: action.id, at: later, answer: "HTTP 500: oops")])
        #expect(try await store.dueReplies(limit: 1).isEmpty)
        #expect(try await store.nextReplyDue()?.storeMilliseconds == later.storeMilliseconds)
        let retried = try #require(try await store.dueReplies(limit: 1, now: later).first)
        #expect(retried.tries == 1)
        try await store.recordReplyOutcomes([.dead(id: action.id, answer: "HTTP 400: no")])
        let dead = try #require(try await store.event(id: "e1").first?.deliveries.first?.replies.first)
        #expect(dead.state == .dead && dead.tries == 2 && dead.answer == "HTTP 400: no")
        #expect(try await store.prune(doneOlderThan: Date() + 3600) == 0, "retention keeps an event with a dead action")

        #expect(try await store.replayReplies(ids: [action.id]) == 1)
        let replayed = try #require(try await store.dueReplies(limit: 1).first)
        #expect(replayed.id == action.id && replayed.tries == 0)
        #expect(try await store.recordReplyOutcomes([.sent(id: action.id, messageID: nil, answer: "HTTP 200")]) == 1)
        #expect(try await store.recordReplyOutcomes([.sent(id: action.id, messageID: nil, answer: "HTTP 200")]) == 0,
                "a record for an action no longer pending changes nothing")
    }
}

import Foundation
import Testing
@testable import CoregateStore

@Suite("Operator queries")
struct OperatorQueryTests {
    @Test("events are listed newest first, filtered by tenant, state and type glob", arguments: Backend.available)
    func listEvents(backend: Backend) async throws {
        // Given text and image messages and a status in two tenants, one of them done
        let place = try await StorePlace(backend)
        let store = try await place.open()
        _ = try await store.enqueue([
            makeEvent("t1", contact: "A"), makeEvent("i1", type: "message.image", contact: "B"),
            makeEvent("s1", type: "status.read", contact: nil, handlers: ["receipts"]),
            makeEvent("g1", tenant: "globex"),
        ])
        let claim = try #require(try await store.claimAll().first { $0.eventID == "t1" })
        try await store.complete(claim, report: report(.succeeded), policy: noDelay)

        // Then each filter selects what it says
        #expect(try await store.events(tenant: nil, state: nil, typeGlob: nil, limit: 50).map(\.id) == ["g1", "s1", "i1", "t1"])
        #expect(try await store.events(tenant: nil, state: nil, typeGlob: nil, limit: 2).map(\.id) == ["g1", "s1"])
        #expect(try await store.events(tenant: "acme", state: nil, typeGlob: "message.*", limit: 50).map(\.id) == ["i1", "t1"])
        #expect(try await store.events(tenant: nil, state: .done, typeGlob: nil, limit: 50).map(\.id) == ["t1"])
        #expect(try await store.events(tenant: "acme", state: .running, typeGlob: nil, limit: 50).map(\.id) == ["s1", "i1"])
        #expect(try await store.events(tenant: "acme", state: .dead, typeGlob: nil, limit: 50).isEmpty)
        let status = try #require(try await store.events(tenant: nil, state: nil, typeGlob: "status.*", limit: 50).first)
        #expect(status.deliveries == ["receipts": .running] && status.contactKey == nil)
    }

    @Test("an event shows its json, every delivery, and every attempt with its output", arguments: Backend.available)
    func showEvent(backend: Backend) async throws {
        // Given an event for two handlers: the bot failed once then succeeded with output
        let place = try await StorePlace(backend)
        let store = try await place.open()
        _ = try await store.enqueue([makeEvent("e", handlers: ["bot", "receipts"])])
        let started = Date(timeIntervalSince1970: 1_900_000_000)
        let first = try #require(try await store.claimAll().first { $0.handler == "bot" })
        try await store.complete(
            first, report: HandlerResult(outcome: .signaled(signal: 9), startedAt: started, duration: .milliseconds(40)),
            policy: noDelay)
        let second = try #require(try await store.claimAll().first { $0.handler == "bot" })
        try await store.complete(
            second,
            report: HandlerResult(
                outcome: .succeeded, startedAt: started, duration: .milliseconds(250),
                standardOutput: Array("sent\n".utf8), standardErrorLineCount: 3),
            policy: noDelay)

        // When the operator shows it
        let shown = try #require(try await store.event(id: "e").first)

        // Then it carries everything
        #expect(shown.json == Array(#"{"id":"e"}"#.utf8) && shown.type == "message.text")
        #expect(shown.deliveries.map(\.handler) == ["bot", "receipts"])
        let bot = shown.deliveries[0]
        #expect(bot.state == .done && bot.attempts == 2 && bot.finishedAt != nil && bot.nextAttemptAt == nil)
        #expect(bot.history == [
            AttemptRecord(round: 1, number: 1, startedAt: started, duration: .milliseconds(40), outcome: "signaled",
                          exitStatus: nil, signal: 9, stdout: [], stderrLines: 0),
            AttemptRecord(round: 1, number: 2, startedAt: started, duration: .milliseconds(250), outcome: "succeeded",
                          exitStatus: 0, signal: nil, stdout: Array("sent\n".utf8), stderrLines: 3),
        ])
        #expect(shown.deliveries[1].state == .running && shown.deliveries[1].history.isEmpty)
        #expect(try await store.event(id: "missing").isEmpty)
    }

    @Test("stats give per-tenant counts by state, the oldest waiting age, and the last hour's outcomes", arguments: Backend.available)
    func stats(backend: Backend) async throws {
        // Given acme with a done, a dead, a retrying and a pending delivery; globex with one pending
        let place = try await StorePlace(backend)
        let store = try await place.open()
        let policy = RetryPolicy(maxAttempts: 2, backoff: Backoff(initialDelay: .seconds(600), maxDelay: .seconds(600)))
        let start = Date()
        _ = try await store.enqueue([makeEvent("ok", contact: "A"), makeEvent("dead", contact: "B"), makeEvent("retry", contact: "C")])
        for claim in try await store.claimAll() {
            let outcome: HandlerOutcome = claim.eventID == "ok" ? .succeeded : .failed(exitStatus: 1)
            try await store.complete(claim, report: report(outcome), policy: claim.eventID == "dead" ? oneAttemptOnly : policy)
        }
        _ = try await store.enqueue([makeEvent("waiting", contact: "D"), makeEvent("g", tenant: "globex")])

        // When stats are read ten seconds later
        let now = Date().addingTimeInterval(10)
        let stats = try await store.stats(now: now)

        // Then they add up per tenant
        #expect(stats.map(\.tenant) == ["acme", "globex"])
        #expect(stats[0].deliveries == [.done: 1, .dead: 1, .retrying: 1, .pending: 1])
        #expect(stats[0].outcomesLastHour == ["succeeded": 1, "failed": 2])
        let age = try #require(stats[0].oldestPendingAge)
        // Bounded by the clock since the first enqueue (the retrying delivery counts as waiting too),
        // not by how fast a busy machine ran this test; a second more for the store's rounding.
        #expect(age >= .seconds(9) && age <= .seconds(now.timeIntervalSince(start) + 1))
        #expect(stats[1].deliveries == [.pending: 1] && stats[1].outcomesLastHour.isEmpty)
        #expect(try await store.stats(now: Date().addingTimeInterval(7200))[0].outcomesLastHour.isEmpty)
    }
}

private let oneAttemptOnly = RetryPolicy(maxAttempts: 1, backoff: Backoff(initialDelay: .zero, maxDelay: .zero))

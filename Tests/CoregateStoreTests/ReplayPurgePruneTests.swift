import Foundation
import Testing
@testable import CoregateStore

@Suite("Replay, purge and retention")
struct ReplayPurgePruneTests {
    let oneAttempt = RetryPolicy(maxAttempts: 1, backoff: Backoff(initialDelay: .zero, maxDelay: .zero))

    /// Stores the events and fails each delivery once, so each is dead under `oneAttempt`, having
    /// died at `diedAt`.
    func deadLetters(_ store: any Store, _ events: [NewEvent], diedAt: Date = Date()) async throws {
        _ = try await store.enqueue(events)
        var claims = try await store.claimAll(tenants: ["acme", "globex"])
        while !claims.isEmpty {
            for claim in claims {
                try await store.complete(claim, report: report(.failed(exitStatus: 2)), policy: oneAttempt, now: diedAt)
            }
            claims = try await store.claimAll(tenants: ["acme", "globex"])
        }
    }

    @Test("a replayed dead letter runs again as attempt 1 of a new round, its history kept", arguments: Backend.available)
    func replayStartsNewRound(backend: Backend) async throws {
        // Given a dead letter
        let place = try await StorePlace(backend)
        let store = try await place.open()
        try await deadLetters(store, [makeEvent("e")])
        #expect(try await store.deliveryState(eventID: "e") == .dead)

        // When it is replayed and succeeds
        #expect(try await store.replay(ids: ["e"]) == 1)
        #expect(store.backlog(tenant: "acme") == 1)
        let claim = try #require(try await store.claimAll().first)
        try await store.complete(claim, report: report(.succeeded), policy: oneAttempt)

        // Then it ran as attempt 1 of round 2 and is done, with both rounds in its history
        #expect(claim.attempt == 1 && claim.round == 2)
        let delivery = try #require(try await store.event(id: "e").first?.deliveries.first)
        #expect(delivery.state == .done)
        #expect(delivery.history.map { "\($0.round).\($0.number) \($0.outcome)" } == ["1.1 failed", "2.1 succeeded"])
    }

    @Test("replaying a tenant's dead letters leaves other tenants and unfinished deliveries alone", arguments: Backend.available)
    func replayTenantDead(backend: Backend) async throws {
        // Given dead letters in two tenants, and a done delivery and a pending one in acme
        let place = try await StorePlace(backend)
        let store = try await place.open()
        try await deadLetters(store, [makeEvent("d1", contact: "A"), makeEvent("d2", contact: "B"), makeEvent("g1", tenant: "globex")])
        _ = try await store.enqueue([makeEvent("ok", contact: "C")])
        let claim = try #require(try await store.claimAll().first)
        try await store.complete(claim, report: report(.succeeded), policy: oneAttempt)
        _ = try await store.enqueue([makeEvent("waiting", contact: "D")])

        // When acme's dead letters are replayed
        let replayed = try await store.replay(tenant: "acme", deadOnly: true)

        // Then exactly those two are pending again
        #expect(replayed == 2)
        #expect(try await store.deliveryState(eventID: "d1") == .pending)
        #expect(try await store.deliveryState(eventID: "d2") == .pending)
        #expect(try await store.deliveryState(eventID: "g1") == .dead)
        #expect(try await store.deliveryState(eventID: "ok") == .done)

        // When everything finished in acme is replayed
        #expect(try await store.replay(tenant: "acme", deadOnly: false) == 1)
        #expect(try await store.deliveryState(eventID: "ok") == .pending)
    }

    @Test("a replayed delivery waits behind its contact's unfinished event, then goes first", arguments: Backend.available)
    func replayKeepsLaneOrder(backend: Backend) async throws {
        // Given a dead letter of contact A, then a later event of A that is pending
        let place = try await StorePlace(backend)
        let store = try await place.open()
        try await deadLetters(store, [makeEvent("old", contact: "A")])
        _ = try await store.enqueue([makeEvent("new1", contact: "A"), makeEvent("new2", contact: "A")])

        // When the dead letter is replayed
        try await store.replay(ids: ["old"])

        // Then the head of the line runs first, then the replayed one (earliest arrival), then the rest
        var order: [String] = []
        while let claim = try await store.claimAll().first {
            #expect(try await store.claimAll().isEmpty, "a second delivery of the line was claimable")
            order.append(claim.eventID)
            try await store.complete(claim, report: report(.succeeded), policy: oneAttempt)
        }
        #expect(order == ["new1", "old", "new2"])
    }

    @Test("purge deletes dead letters older than the date, and the events left without deliveries", arguments: Backend.available)
    func purgeDead(backend: Backend) async throws {
        // Given two dead letters from a day ago and one from now, one old event also done for another handler
        let place = try await StorePlace(backend)
        let store = try await place.open()
        let dayAgo = Date().addingTimeInterval(-86_400)
        try await deadLetters(store, [makeEvent("old1", contact: "A"), makeEvent("old2", contact: "B")], diedAt: dayAgo)
        try await deadLetters(store, [makeEvent("recent", contact: "C")])
        _ = try await store.enqueue([makeEvent("mixed", contact: "D", handlers: ["bot", "receipts"])])
        for claim in try await store.claimAll() {
            let outcome: HandlerOutcome = claim.handler == "bot" ? .failed(exitStatus: 1) : .succeeded
            try await store.complete(claim, report: report(outcome), policy: oneAttempt, now: dayAgo)
        }

        // When dead letters older than an hour are purged
        let purged = try await store.purgeDead(before: Date().addingTimeInterval(-3600))

        // Then three old dead deliveries went with their attempts and orphaned events; the rest stays
        #expect(purged == 3)
        #expect(try await store.event(id: "old1").isEmpty)
        #expect(try await store.event(id: "old2").isEmpty)
        #expect(try await store.deliveryState(eventID: "recent") == .dead)
        let mixed = try #require(try await store.event(id: "mixed").first)
        #expect(mixed.deliveries.map(\.handler) == ["receipts"])
        #expect(try await store.count("SELECT COUNT(*) FROM attempt") == 2)
        #expect(try await store.stats().first?.deliveries == [.dead: 1, .done: 1])
    }

    @Test("retention prunes events done before the cutoff, and keeps dead and unfinished ones", arguments: Backend.available)
    func pruneDone(backend: Backend) async throws {
        // Given a done event, an event no handler took, a dead letter and a pending one
        let place = try await StorePlace(backend)
        let store = try await place.open()
        _ = try await store.enqueue([makeEvent("done", contact: "A"), makeEvent("untaken", handlers: [])])
        let claim = try #require(try await store.claimAll().first)
        try await store.complete(claim, report: report(.succeeded), policy: oneAttempt)
        try await deadLetters(store, [makeEvent("dead", contact: "B")])
        _ = try await store.enqueue([makeEvent("pending", contact: "C")])
        // The events above were stored "now"; a cutoff in the future makes them old enough.
        let cutoff = Date().addingTimeInterval(1)

        // When the cutoff is before they were done, nothing is pruned
        #expect(try await store.prune(doneOlderThan: Date().addingTimeInterval(-3600)) == 0)

        // When events done before the cutoff are pruned
        let pruned = try await store.prune(doneOlderThan: cutoff)

        // Then only the done and the untaken events are gone, with their deliveries and attempts
        #expect(pruned == 2)
        #expect(try await store.event(id: "done").isEmpty)
        #expect(try await store.event(id: "untaken").isEmpty)
        #expect(try await store.deliveryState(eventID: "dead") == .dead)
        #expect(try await store.deliveryState(eventID: "pending") == .pending)
        #expect(try await store.count("SELECT COUNT(*) FROM attempt") == 1)
        #expect(try await store.stats().first?.deliveries == [.dead: 1, .pending: 1])
    }

    @Test("retention works through more events than one batch", arguments: Backend.available)
    func pruneManyBatches(backend: Backend) async throws {
        // Given 2,500 events that no handler takes
        let place = try await StorePlace(backend)
        let store = try await place.open()
        _ = try await store.enqueue((0..<2500).map { makeEvent("e\($0)", handlers: []) })

        // When they are pruned
        let pruned = try await store.prune(doneOlderThan: Date().addingTimeInterval(1))

        // Then all are gone
        #expect(pruned == 2500)
        #expect(try await store.count("SELECT COUNT(*) FROM event") == 0)
    }
}

import Foundation
import Testing
@testable import CoregateStore

@Suite("Per-contact order")
struct ContactOrderTests {
    @Test("a contact's later event waits while its earlier one is unfinished; other contacts go ahead", arguments: Backend.available)
    func laterEventWaits(backend: Backend) async throws {
        // Given two events of contact A and one of contact B
        let place = try await StorePlace(backend)
        let store = try await place.open()
        _ = try await store.enqueue([makeEvent("a1", contact: "A"), makeEvent("a2", contact: "A"), makeEvent("b1", contact: "B")])

        // When the dispatcher claims everything it can
        let first = try await store.claimAll()

        // Then it gets A's first event and B's, not A's second
        #expect(first.map(\.eventID) == ["a1", "b1"])

        // When A's first event is done
        try await store.complete(first[0], report: report(.succeeded), policy: noDelay)

        // Then A's second event is claimable
        #expect(try await store.claimAll().map(\.eventID) == ["a2"])
    }

    @Test("a retrying event holds its contact's line, and a dead letter releases it", arguments: Backend.available)
    func retryingHoldsDeadReleases(backend: Backend) async throws {
        // Given two events of one contact, and a policy of two attempts
        let place = try await StorePlace(backend)
        let store = try await place.open()
        _ = try await store.enqueue([makeEvent("a1", contact: "A"), makeEvent("a2", contact: "A")])
        let policy = RetryPolicy(maxAttempts: 2, backoff: Backoff(initialDelay: .seconds(60), maxDelay: .seconds(60)))
        let start = Date()

        // When the first fails once
        let attempt1 = try await store.claimAll(now: start)
        let afterFirst = try await store.complete(attempt1[0], report: report(.failed(exitStatus: 1)), policy: policy, now: start)

        // Then it is retrying, and neither event is claimable before its retry is due
        guard case .retrying(let due) = afterFirst else { Issue.record("expected retrying, got \(afterFirst)"); return }
        #expect(try await store.claimAll(now: start).isEmpty)

        // When its retry fails too, its last attempt
        let attempt2 = try await store.claimAll(now: due)
        #expect(attempt2.map(\.eventID) == ["a1"] && attempt2.first?.attempt == 2)
        #expect(try await store.complete(attempt2[0], report: report(.failed(exitStatus: 1)), policy: policy, now: due) == .dead)

        // Then the dead letter releases the line to the next event
        #expect(try await store.claimAll(now: due).map(\.eventID) == ["a2"])
    }

    @Test("events without a contact are never held back", arguments: Backend.available)
    func noContactNoOrder(backend: Backend) async throws {
        // Given three events without a contact
        let place = try await StorePlace(backend)
        let store = try await place.open()
        _ = try await store.enqueue((0..<3).map { makeEvent("s\($0)", type: "error", contact: nil) })

        // When the dispatcher claims
        let claims = try await store.claimAll()

        // Then it gets all three at once
        #expect(claims.count == 3)
    }

    @Test("each handler has its own line for a contact", arguments: Backend.available)
    func linesArePerHandler(backend: Backend) async throws {
        // Given two events of one contact, each for two handlers
        let place = try await StorePlace(backend)
        let store = try await place.open()
        _ = try await store.enqueue([
            makeEvent("a1", contact: "A", handlers: ["bot", "receipts"]),
            makeEvent("a2", contact: "A", handlers: ["bot", "receipts"]),
        ])

        // When the bot finishes the first event while receipts has not started it
        let claims = try await store.claimAll()
        #expect(Set(claims.map(\.handler)) == ["bot", "receipts"] && claims.allSatisfy { $0.eventID == "a1" })
        try await store.complete(claims.first { $0.handler == "bot" }!, report: report(.succeeded), policy: noDelay)

        // Then the bot may take the second event; receipts still waits on its first
        let next = try await store.claimAll()
        #expect(next.map(\.handler) == ["bot"] && next.map(\.eventID) == ["a2"])
    }

    @Test("order holds for each contact with four workers, failures and retries, while contacts interleave", arguments: Backend.available)
    func orderUnderConcurrency(backend: Backend) async throws {
        // Given 8 contacts × 25 events for two handlers, arriving in interleaved requests
        let place = try await StorePlace(backend)
        let store = try await place.open()
        let contacts = 8, perContact = 25
        for n in 0..<perContact {
            _ = try await store.enqueue((0..<contacts).map {
                makeEvent("c\($0)-\(n)", contact: "c\($0)", handlers: ["bot", "receipts"])
            })
        }
        let expectedDeliveries = contacts * perContact * 2
        let log = Locked(ConcurrencyLog())
        let policy = RetryPolicy(maxAttempts: 100, backoff: Backoff(initialDelay: .zero, maxDelay: .zero))

        // When four workers claim one delivery at a time and fail a third of their attempts
        try await withThrowingTaskGroup(of: Void.self) { group in
            for worker in 0..<4 {
                group.addTask {
                    var generator = SeededGenerator(seed: UInt64(worker + 1))
                    let deadline = ContinuousClock.now + .seconds(60)
                    while log.withLock({ $0.done.count }) < expectedDeliveries {
                        guard ContinuousClock.now < deadline else {
                            Issue.record("workers stalled")
                            return
                        }
                        guard let claim = try await store.claimReady(limitPerTenant: ["acme": 1]).first else {
                            await Task.yield()
                            continue
                        }
                        let lane = "\(claim.handler)/\(claim.eventID.split(separator: "-")[0])"
                        let wasFree = log.withLock { $0.running.insert(lane).inserted }
                        #expect(wasFree, "two deliveries of lane \(lane) ran at once")
                        await Task.yield()
                        let succeeds = Int.random(in: 0..<3, using: &generator) != 0
                        log.withLock {
                            $0.running.remove(lane)
                            if succeeds { $0.done.append((lane, claim.eventID)) }
                            $0.interleaving.append(claim.eventID.split(separator: "-")[0].description)
                        }
                        try await store.complete(claim, report: report(succeeds ? .succeeded : .failed(exitStatus: 1)), policy: policy)
                    }
                }
            }
            try await group.waitForAll()
        }

        // Then every lane saw its events in arrival order, and contacts were interleaved
        let result = log.withLock { $0 }
        #expect(result.done.count == expectedDeliveries)
        for lane in Set(result.done.map(\.lane)) {
            let numbers = result.done.filter { $0.lane == lane }.map { Int($0.eventID.split(separator: "-")[1])! }
            #expect(numbers == Array(0..<perContact), "lane \(lane) out of order: \(numbers)")
        }
        let switches = zip(result.interleaving, result.interleaving.dropFirst()).filter { $0 != $1 }.count
        #expect(switches > result.interleaving.count / 2)
    }
}

struct ConcurrencyLog: Sendable {
    var running: Set<String> = []
    var done: [(lane: String, eventID: String)] = []
    var interleaving: [String] = []
}

/// SplitMix64: reproducible randomness for tests.
struct SeededGenerator: RandomNumberGenerator {
    var state: UInt64

    init(seed: UInt64) { state = seed }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

import Foundation
import Testing
@testable import CoregateStore

@Suite("Retries and dead letters")
struct RetryTests {
    @Test("the backoff ceiling doubles each attempt up to the maximum")
    func ceilingDoubles() {
        let backoff = Backoff(initialDelay: .seconds(1), maxDelay: .seconds(60))
        #expect((1...8).map { backoff.ceiling(afterAttempt: $0) } == [1, 2, 4, 8, 16, 32, 60, 60].map { Duration.seconds($0) })
        #expect(backoff.ceiling(afterAttempt: 10_000) == .seconds(60))
    }

    @Test("jittered delays stay under the ceiling, spread out, and grow on average")
    func jitterSpreads() {
        // Given a backoff and a reproducible generator
        let backoff = Backoff(initialDelay: .seconds(1), maxDelay: .seconds(600))
        var generator = SeededGenerator(seed: 42)

        // When 500 delays are drawn after attempts 1 and 6
        let early = (0..<500).map { _ in backoff.delay(afterAttempt: 1, using: &generator) }
        let late = (0..<500).map { _ in backoff.delay(afterAttempt: 6, using: &generator) }

        // Then each is within [ceiling/2, ceiling], they differ, and later ones are longer on average
        #expect(early.allSatisfy { $0 >= .milliseconds(500) && $0 <= .seconds(1) })
        #expect(late.allSatisfy { $0 >= .seconds(16) && $0 <= .seconds(32) })
        #expect(Set(early).count > 400)
        let mean = { (delays: [Duration]) in delays.map(\.timeInterval).reduce(0, +) / Double(delays.count) }
        #expect(mean(late) > 8 * mean(early))
    }

    @Test("a failing delivery is retried after growing delays, then dead after max_attempts", arguments: Backend.available)
    func retriesThenDead(backend: Backend) async throws {
        // Given one event and a policy of 5 attempts, delays capped at 1, 2, 4, 8 s
        let place = try await StorePlace(backend)
        let store = try await place.open()
        _ = try await store.enqueue([makeEvent("e")])
        let policy = RetryPolicy(maxAttempts: 5, backoff: Backoff(initialDelay: .seconds(1), maxDelay: .seconds(60)))
        var now = Date(timeIntervalSince1970: 2_000_000_000)

        // When every attempt fails
        var completions: [Completion] = []
        for attempt in 1...5 {
            let claims = try await store.claimAll(now: now)
            #expect(claims.map(\.attempt) == [attempt])
            guard let claim = claims.first else { return }
            let completion = try await store.complete(claim, report: report(.failed(exitStatus: 1)), policy: policy, now: now)
            completions.append(completion)
            if case .retrying(let due) = completion {
                // Then each retry is due within its ceiling, and not claimable a moment before
                let ceiling = policy.backoff.ceiling(afterAttempt: attempt).timeInterval
                #expect(due.timeIntervalSince(now) >= 0 && due.timeIntervalSince(now) <= ceiling + 0.001)
                if due.timeIntervalSince(now) > 0.01 {
                    #expect(try await store.claimAll(now: due.addingTimeInterval(-0.005)).isEmpty)
                }
                now = due
            }
        }

        // Then the fifth failure made it dead, with all five attempts kept, and nothing is claimable
        #expect(completions.last == .dead)
        #expect(completions.dropLast().allSatisfy { if case .retrying = $0 { true } else { false } })
        let delivery = try #require(try await store.event(id: "e").first?.deliveries.first)
        #expect(delivery.state == .dead && delivery.history.map(\.number) == [1, 2, 3, 4, 5])
        #expect(try await store.claimAll(now: now.addingTimeInterval(3600)).isEmpty)
        #expect(store.backlog(tenant: "acme") == 0)
    }

    @Test("exit 75 counts as an attempt, recorded as a retry request", arguments: Backend.available)
    func tempFailCounts(backend: Backend) async throws {
        // Given an event and a policy of two attempts
        let place = try await StorePlace(backend)
        let store = try await place.open()
        _ = try await store.enqueue([makeEvent("e")])
        let policy = RetryPolicy(maxAttempts: 2, backoff: Backoff(initialDelay: .zero, maxDelay: .zero))

        // When the handler exits 75 twice
        for _ in 0..<2 {
            let claim = try #require(try await store.claimAll().first)
            try await store.complete(claim, report: report(.retryRequested), policy: policy)
        }

        // Then it is dead, and both attempts say retry-requested with exit 75
        let delivery = try #require(try await store.event(id: "e").first?.deliveries.first)
        #expect(delivery.state == .dead)
        #expect(delivery.history.map(\.outcome) == ["retry-requested", "retry-requested"])
        #expect(delivery.history.map(\.exitStatus) == [75, 75])
    }

    @Test("completing a claim twice is refused, and records nothing the second time", arguments: Backend.available)
    func claimCompletedOnce(backend: Backend) async throws {
        // Given a claimed and completed delivery
        let place = try await StorePlace(backend)
        let store = try await place.open()
        _ = try await store.enqueue([makeEvent("e")])
        let claim = try #require(try await store.claimAll().first)
        try await store.complete(claim, report: report(.succeeded), policy: noDelay)

        // When it is completed again
        await #expect(throws: StoreError.claimNotRunning(deliveryID: claim.deliveryID)) {
            try await store.complete(claim, report: report(.failed(exitStatus: 1)), policy: noDelay)
        }

        // Then the delivery is still done, with one attempt
        let delivery = try #require(try await store.event(id: "e").first?.deliveries.first)
        #expect(delivery.state == .done && delivery.history.count == 1)
    }
}

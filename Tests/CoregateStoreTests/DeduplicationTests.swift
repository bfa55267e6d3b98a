import Foundation
import Testing
@testable import CoregateStore

@Suite("Deduplication")
struct DeduplicationTests {
    @Test("five redeliveries of one request store and queue it once", arguments: Backend.available)
    func redeliveriesAreDuplicates(backend: Backend) async throws {
        // Given a request of three events, each for two handlers
        let place = try await StorePlace(backend)
        let store = try await place.open()
        let request = (0..<3).map { makeEvent("wamid.\($0)", handlers: ["bot", "receipts"]) }

        // When it is delivered once and redelivered five times
        let first = try await store.enqueue(request)
        var redeliveries: [EnqueueResult] = []
        for _ in 0..<5 { redeliveries.append(try await store.enqueue(request)) }

        // Then only the first stored anything, and the backlog holds one delivery per handler
        #expect(first == EnqueueResult(stored: 3, duplicates: 0))
        #expect(redeliveries.allSatisfy { $0 == EnqueueResult(stored: 0, duplicates: 3) })
        #expect(try await store.count("SELECT COUNT(*) FROM event") == 3)
        #expect(try await store.count("SELECT COUNT(*) FROM delivery") == 6)
        #expect(store.backlog(tenant: "acme") == 6)
    }

    @Test("the same event in concurrent requests is stored once", arguments: Backend.available)
    func concurrentDuplicates(backend: Backend) async throws {
        // Given a store
        let place = try await StorePlace(backend)
        let store = try await place.open()

        // When eight requests carry the same event at once
        let results = try await withThrowingTaskGroup(of: EnqueueResult.self) { group in
            for _ in 0..<8 { group.addTask { try await store.enqueue([makeEvent("same")]) } }
            return try await group.reduce(into: [EnqueueResult]()) { $0.append($1) }
        }

        // Then one stored it and seven saw a duplicate
        #expect(results.map(\.stored).reduce(0, +) == 1)
        #expect(results.map(\.duplicates).reduce(0, +) == 7)
    }

    @Test("one id in two tenants is two events, and a handler named twice gets one delivery", arguments: Backend.available)
    func idsAreUniquePerTenant(backend: Backend) async throws {
        // Given a store
        let place = try await StorePlace(backend)
        let store = try await place.open()

        // When two tenants each store an event with one id, one naming its handler twice
        let result = try await store.enqueue([
            makeEvent("x", tenant: "acme", handlers: ["bot", "bot"]), makeEvent("x", tenant: "globex"),
        ])

        // Then both are stored, with one delivery each
        #expect(result == EnqueueResult(stored: 2, duplicates: 0))
        #expect(try await store.event(id: "x").map(\.tenant) == ["acme", "globex"])
        #expect(try await store.count("SELECT COUNT(*) FROM delivery") == 2)
    }
}

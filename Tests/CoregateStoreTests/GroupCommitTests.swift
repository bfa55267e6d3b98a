import Foundation
import Synchronization
import Testing
@testable import CoregateStore

@Suite("Group commit")
struct GroupCommitTests {
    @Test("concurrent enqueues share fewer transactions, and each caller returns after its commit", arguments: Backend.available)
    func concurrentEnqueuesShareTransactions(backend: Backend) async throws {
        // Given a store, and a second pool on the same file that sees only committed data
        let place = try await StorePlace(backend)
        let store = try await place.open()
        let observer = try await place.open()
        let callers = 200

        // When 200 callers enqueue one event each at once
        let visibleOnReturn = try await withThrowingTaskGroup(of: Bool.self) { group in
            for i in 0..<callers {
                group.addTask {
                    let result = try await store.enqueue([makeEvent("e\(i)", contact: "c\(i % 7)")])
                    #expect(result == EnqueueResult(stored: 1, duplicates: 0))
                    return try await !observer.event(id: "e\(i)").isEmpty
                }
            }
            return try await group.reduce(into: [Bool]()) { $0.append($1) }
        }

        // Then every event was committed before its caller returned, in far fewer transactions
        #expect(visibleOnReturn.count == callers && visibleOnReturn.allSatisfy { $0 })
        #expect(try await store.count("SELECT COUNT(*) FROM event") == callers)
        let commits = await store.groupCommits
        #expect(commits >= 1 && commits < callers / 4, "\(commits) commits for \(callers) callers")
    }

    @Test("a group commit takes no more events than its bound, but never splits one request", arguments: Backend.available)
    func batchesAreBounded(backend: Backend) async throws {
        // Given a store whose commits take one event at most
        let place = try await StorePlace(backend)
        let store = try await place.open(maxEventsPerCommit: 1)

        // When 20 callers enqueue one event each at once, then one caller enqueues 5
        try await withThrowingTaskGroup(of: Void.self) { group in
            for i in 0..<20 {
                group.addTask { _ = try await store.enqueue([makeEvent("e\(i)")]) }
            }
            try await group.waitForAll()
        }
        let commitsForSingles = await store.groupCommits
        let request = try await store.enqueue((0..<5).map { makeEvent("r\($0)") })

        // Then each single event had its own commit, and the request went whole into one
        #expect(commitsForSingles == 20)
        #expect(request.stored == 5)
        #expect(await store.groupCommits == 21)
    }

    @Test("each caller gets its own counts from a shared commit", arguments: Backend.available)
    func callersGetTheirOwnCounts(backend: Backend) async throws {
        // Given an event already stored
        let place = try await StorePlace(backend)
        let store = try await place.open()
        _ = try await store.enqueue([makeEvent("old")])

        // When two callers commit together, one with the old event and a new one
        async let first = store.enqueue([makeEvent("old"), makeEvent("new1")])
        async let second = store.enqueue([makeEvent("new2"), makeEvent("new3"), makeEvent("new4")])

        // Then each sees only its own events counted
        #expect(try await first == EnqueueResult(stored: 1, duplicates: 1))
        #expect(try await second == EnqueueResult(stored: 3, duplicates: 0))
    }

    @Test("a failed commit fails every caller of its batch, and the commits after it go on")
    func failedCommitFailsItsBatchOnly() throws {
        // Given a writer whose second transaction fails, and whose first waits until two more
        // callers are queued behind it
        struct DiskFull: Error {}
        let firstStarted = DispatchSemaphore(value: 0)
        let releaseFirst = DispatchSemaphore(value: 0)
        let transactions = Mutex(0)
        let writer = EventWriter(maxEventsPerCommit: 100) { requests in
            let number = transactions.withLock { count in
                count += 1
                return count
            }
            if number == 1 {
                firstStarted.signal()
                releaseFirst.wait()
            }
            if number == 2 { throw DiskFull() }
            return requests.map { EnqueueResult(stored: $0.count, duplicates: 0) }
        }
        let results = Mutex<[String: Result<EnqueueResult, any Error>]>([:])
        let answered = DispatchGroup()
        func enqueue(_ id: String) {
            answered.enter()
            writer.enqueue([makeEvent(id)]) { result in
                results.withLock { $0[id] = result }
                answered.leave()
            }
        }

        // When "a" commits alone, "b" and "c" share the failing transaction, and "d" comes after
        enqueue("a")
        firstStarted.wait()
        enqueue("b")
        enqueue("c")
        releaseFirst.signal()
        answered.wait()
        enqueue("d")
        answered.wait()

        // Then both callers of the failed batch hear of the failure, the others of their commit
        let outcome = results.withLock { $0 }
        let stored = EnqueueResult(stored: 1, duplicates: 0)
        #expect(try outcome["a"]?.get() == stored)
        #expect(throws: DiskFull.self) { try outcome["b"]?.get() }
        #expect(throws: DiskFull.self) { try outcome["c"]?.get() }
        #expect(try outcome["d"]?.get() == stored)
        #expect(transactions.withLock { $0 } == 3)
        #expect(writer.commits == 2)
    }
}

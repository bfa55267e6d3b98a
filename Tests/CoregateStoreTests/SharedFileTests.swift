import Foundation
import Testing
@testable import CoregateStore

@Suite("Two processes on one file")
struct SharedFileTests {
    @Test("a service and a CLI writing to one file at once never see 'database is locked'", arguments: Backend.available)
    func twoPoolsWriteConcurrently(backend: Backend) async throws {
        // Given two stores (two pools, as the service and the CLI have) on one file, with dead letters
        let place = try await StorePlace(backend)
        let service = try await place.open()
        let cli = try await place.open()
        let oneAttempt = RetryPolicy(maxAttempts: 1, backoff: Backoff(initialDelay: .zero, maxDelay: .zero))
        _ = try await service.enqueue((0..<300).map { makeEvent("dead\($0)", contact: "c\($0)") })
        for claim in try await service.claimAll() {
            try await service.complete(claim, report: report(.failed(exitStatus: 1)), policy: oneAttempt)
        }

        // When the service ingests and dispatches while the CLI replays, purges and reads
        try await withThrowingTaskGroup(of: Void.self) { group in
            for worker in 0..<4 {
                group.addTask {
                    for n in 0..<50 {
                        _ = try await service.enqueue((0..<10).map { makeEvent("w\(worker)-\(n)-\($0)", contact: "k\($0)") })
                    }
                }
            }
            group.addTask {
                for _ in 0..<100 {
                    for claim in try await service.claimReady(limitPerTenant: ["acme": 8]) {
                        try await service.complete(claim, report: report(.succeeded), policy: oneAttempt)
                    }
                }
            }
            group.addTask {
                for n in 0..<30 {
                    try await cli.replay(ids: (0..<10).map { "dead\(n * 10 + $0)" })
                    _ = try await cli.stats()
                    _ = try await cli.events(tenant: nil, state: nil, typeGlob: nil, limit: 20)
                }
                try await cli.purgeDead(before: Date().addingTimeInterval(3600))
            }
            try await group.waitForAll()
        }

        // Then nothing failed, every event is stored once, and the counts agree with the rows
        #expect(try await cli.count("SELECT COUNT(*) FROM event") == 300 + 4 * 50 * 10)
        let byState = try await cli.stats().first?.deliveries ?? [:]
        let rows = try await cli.count("SELECT COUNT(*) FROM delivery")
        #expect(byState.values.reduce(0, +) == rows)
        let unfinished = try await cli.count("SELECT COUNT(*) FROM delivery WHERE state IN ('pending','running','retrying')")
        // The service's own counts follow its commits by deltas; the CLI's writes show up when it
        // next refreshes them (the dispatcher does every few seconds).
        #expect(service.backlog(tenant: "acme") != unfinished, "the CLI's replays are not seen yet")
        try await service.refreshBacklogCounts()
        #expect(service.backlog(tenant: "acme") == unfinished)
    }

    @Test("a service and a CLI that open a new file at the same instant both get a migrated store", arguments: Backend.available)
    func concurrentFirstOpen(backend: Backend) async throws {
        for _ in 0..<30 {
            // Given a state directory with no database yet
            let place = try await StorePlace(backend)

            // When two processes open it at once
            let opened = try await withThrowingTaskGroup(of: (any Store).self) { group in
                for _ in 0..<2 { group.addTask { try await place.open() } }
                return try await group.reduce(into: [any Store]()) { $0.append($1) }
            }

            // Then both work on the one schema
            _ = try await opened[0].enqueue([makeEvent("e")])
            #expect(try await opened[1].event(id: "e").count == 1)
        }
    }
}

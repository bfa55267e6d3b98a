import Foundation
import Synchronization
import Testing
@testable import CoregateStore

/// What only a store that several nodes share must do (SPEC §11): leases, wake-ups, migrations
/// under a lock. Each "node" is a store of its own on one database, as two processes have.
@Suite("Several nodes on one PostgreSQL database")
struct SharedDatabaseTests {
    @Test("a delivery claimed by a node that died is taken over after its lease, the attempt counted", arguments: Backend.sharedOnly)
    func leaseTakeover(backend: Backend) async throws {
        // Given node a claimed a delivery with a one-minute lease, then died
        let place = try await StorePlace(backend)
        let a = try await place.open(lease: .seconds(60)), b = try await place.open(lease: .seconds(60))
        _ = try await a.enqueue([makeEvent("e1", contact: "A"), makeEvent("e2", contact: "A")])
        let start = Date()
        let lost = try #require(try await a.claimAll(now: start).first)

        // Then node b takes nothing while the lease runs, but its look at the queue says when it ends
        #expect(try await b.claimAll(now: start.addingTimeInterval(59)).isEmpty)
        let leaseEnd = Date(storeMilliseconds: start.addingTimeInterval(60).storeMilliseconds)
        #expect(try await b.dueDates(tenants: ["acme"]) == ["acme": leaseEnd])

        // When the lease has run out, node b claims it again as attempt 2, and e2 still waits behind it
        let later = start.addingTimeInterval(61)
        let takenOver = try await b.claimAll(now: later)
        #expect(takenOver.map(\.eventID) == ["e1"] && takenOver.first?.attempt == 2)
        let history = try #require(try await b.event(id: "e1").first?.deliveries.first?.history)
        #expect(history.map(\.outcome) == ["interrupted"] && history.first?.number == 1)

        // And node a's late report of its attempt records nothing
        await #expect(throws: StoreError.claimNotRunning(deliveryID: lost.deliveryID)) {
            try await a.complete(lost, report: report(.succeeded), policy: noDelay, now: later)
        }
        try await b.complete(try #require(takenOver.first), report: report(.succeeded), policy: noDelay, now: later)
        #expect(try await b.claimAll(now: later).map(\.eventID) == ["e2"])
    }

    @Test("at start a node takes back only deliveries whose lease ran out", arguments: Backend.sharedOnly)
    func recoveryRespectsLeases(backend: Backend) async throws {
        let place = try await StorePlace(backend)
        let a = try await place.open(lease: .seconds(60))
        _ = try await a.enqueue([makeEvent("e1", contact: "A")])
        let start = Date()
        _ = try await a.claimAll(now: start)

        let restarted = try await place.open(lease: .seconds(60))
        #expect(try await restarted.recoverInterruptedDeliveries(now: start.addingTimeInterval(30)) == 0)
        #expect(try await restarted.deliveryState(eventID: "e1") == .running)
        #expect(try await restarted.recoverInterruptedDeliveries(now: start.addingTimeInterval(61)) == 1)
        #expect(try await restarted.deliveryState(eventID: "e1") == .retrying)
    }

    @Test("a node is woken for work another node commits, with its tenants", arguments: Backend.sharedOnly)
    func wakeUpAcrossNodes(backend: Backend) async throws {
        // Given node b listening for work
        let place = try await StorePlace(backend)
        let a = try await place.open(), b = try await place.open()
        let woken = Locked<[[String]?]>([])
        b.wakeOnWorkFromElsewhere { tenants in woken.withLock { $0.append(tenants) } }

        // When node a stores events for two tenants (again and again: b starts listening a
        // moment after it asked to)
        let deadline = ContinuousClock.now + .seconds(20)
        var n = 0
        while !woken.withLock({ $0.contains { $0 == ["acme", "beta"] } }) {
            guard ContinuousClock.now < deadline else {
                Issue.record("node b was never woken")
                return
            }
            _ = try await a.enqueue([makeEvent("a\(n)", tenant: "acme"), makeEvent("b\(n)", tenant: "beta")])
            n += 1
            try await Task.sleep(for: .milliseconds(100))
        }

        // Then b heard of both tenants in one wake-up; events no handler takes wake nobody
        let before = woken.withLock { $0.count }
        _ = try await a.enqueue([makeEvent("quiet", handlers: [])])
        try await Task.sleep(for: .milliseconds(500))
        #expect(woken.withLock { $0.count } == before)
    }

    @Test("nodes that start at once on a new database migrate it once, one after the other", arguments: Backend.sharedOnly)
    func concurrentMigrations(backend: Backend) async throws {
        let place = try await StorePlace(backend)
        let opened = try await withThrowingTaskGroup(of: (any Store).self) { group in
            for _ in 0..<4 { group.addTask { try await place.open() } }
            return try await group.reduce(into: [any Store]()) { $0.append($1) }
        }
        _ = try await opened[0].enqueue([makeEvent("e")])
        #expect(try await opened[3].event(id: "e").count == 1)
        #expect(try await opened[1].count("SELECT COUNT(*) FROM coregate_migration") == PostgresSchema.migrations.count)
    }

    @Test("a database migrated by a newer coregate is refused", arguments: Backend.sharedOnly)
    func schemaTooNew(backend: Backend) async throws {
        let place = try await StorePlace(backend)
        _ = try await place.open()
        try await TestServer.query("INSERT INTO coregate_migration (name) VALUES ('v99 from the future')", on: place.database!)
        await #expect(throws: StoreError.schemaTooNew) { _ = try await place.open() }
    }

    @Test("the schema refuses a second delivery per handler, an unknown state, and a running row without lease", arguments: Backend.sharedOnly)
    func invariantsLiveInTheSchema(backend: Backend) async throws {
        let place = try await StorePlace(backend)
        let store = try await place.open()
        _ = try await store.enqueue([makeEvent("e")])
        for sql in [
            "INSERT INTO delivery (event_seq, tenant, handler, state, is_head, next_attempt_at) SELECT seq, tenant, 'bot', 'pending', TRUE, 0 FROM event",
            "UPDATE delivery SET state = 'lost'",
            "UPDATE delivery SET state = 'done'",
            "UPDATE delivery SET state = 'running'",
            "INSERT INTO event (tenant, id, type, stored_at, json) VALUES ('acme', 'e', 'x', 0, '')",
        ] {
            await #expect(throws: (any Error).self, "\(sql)") { try await TestServer.query(sql, on: place.database!) }
        }
    }

    @Test("an unreachable database fails a write within the timeout, as unavailable", arguments: Backend.sharedOnly)
    func unreachable(backend: Backend) async throws {
        var nowhere = try TestServer.server
        nowhere.port = 9  // discard: nothing listens on it here
        await #expect(throws: (any Error).self) {
            _ = try await PostgresStore(nowhere, options: .init(timeout: .seconds(2)), logger: TestServer.logger)
        }
    }
}

import Foundation
import Testing
@testable import CoregateStore

/// The dispatcher's one transaction per round: record finished runs, then claim.
@Suite("Settle")
struct SettleTests {
    @Test("finishing a contact's event and claiming its next one share one transaction", arguments: Backend.available)
    func completeThenClaimNext(backend: Backend) async throws {
        let place = try await StorePlace(backend)
        let store = try await place.open()
        _ = try await store.enqueue([makeEvent("a1", contact: "A"), makeEvent("a2", contact: "A")])
        let first = try await store.claimAll()
        #expect(first.map(\.eventID) == ["a1"])

        let result = try await store.settle([.attempted(first[0], report(.succeeded), .done)], claims: ["acme": 4])

        #expect(result.claims["acme"]?.claims.map(\.eventID) == ["a2"], "a2 became its lane's head in the same transaction")
        #expect(result.claims["acme"]?.exhausted == true)
        #expect(result.claims["acme"]?.nextDue == nil, "nothing else waits")
        #expect(try await store.deliveryState(eventID: "a1") == .done)
        #expect(try await store.deliveryState(eventID: "a2") == .running)
    }

    @Test("a tenant that comes up short learns when its next delivery is due", arguments: Backend.available)
    func shortClaimNamesNextDue(backend: Backend) async throws {
        let place = try await StorePlace(backend)
        let store = try await place.open()
        _ = try await store.enqueue([makeEvent("e1", contact: "A"), makeEvent("e2", contact: "B")])
        let now = Date()
        let claims = try await store.claimAll(now: now)
        let retryAt = now + 60
        let result = try await store.settle(
            [.attempted(claims[0], report(.failed(exitStatus: 1)), .retrying(at: retryAt))], claims: ["acme": 3], now: now)
        #expect(result.claims["acme"]?.claims.isEmpty == true, "e2 is running, e1 waits for its retry")
        #expect(result.claims["acme"]?.nextDue?.storeMilliseconds == retryAt.storeMilliseconds)
        #expect(try await store.dueDates(tenants: ["acme", "other"]).keys.sorted() == ["acme"])
    }

    @Test("a run the gateway could not start is no attempt: its count goes back and it is due again", arguments: Backend.available)
    func deferredIsNoAttempt(backend: Backend) async throws {
        let place = try await StorePlace(backend)
        let store = try await place.open()
        _ = try await store.enqueue([makeEvent("e1")])
        let now = Date()
        let claim = try #require(try await store.claimAll(now: now).first)
        #expect(claim.attempt == 1)

        _ = try await store.settle([.deferred(claim, until: now + 1)], claims: [:], now: now)

        #expect(try await store.deliveryState(eventID: "e1") == .pending)
        #expect(try await store.claimAll(now: now).isEmpty, "not before its pause is over")
        let again = try #require(try await store.claimAll(now: now + 1).first)
        #expect(again.attempt == 1, "the deferred run did not count")
        #expect(try await store.count("SELECT COUNT(*) FROM attempt") == 0)
        #expect(store.backlog(tenant: "acme") == 1)
    }

    @Test("a settlement for a delivery an operator replayed meanwhile records nothing and says so", arguments: Backend.available)
    func notRunningAnyMore(backend: Backend) async throws {
        let place = try await StorePlace(backend)
        let store = try await place.open()
        _ = try await store.enqueue([makeEvent("e1")])
        let claim = try #require(try await store.claimAll().first)
        try await store.complete(claim, report: report(.succeeded), policy: noDelay)

        let result = try await store.settle([.attempted(claim, report(.failed(exitStatus: 1)), .dead)], claims: [:])

        #expect(result.notRunning == [claim])
        #expect(try await store.deliveryState(eventID: "e1") == .done)
    }

    @Test("backlog counts follow ingest and finished deliveries without a recount", arguments: Backend.available)
    func backlogByDeltas(backend: Backend) async throws {
        let place = try await StorePlace(backend)
        let store = try await place.open()
        _ = try await store.enqueue([
            makeEvent("e1", handlers: ["bot", "log"]), makeEvent("e2", contact: "B"), makeEvent("x", tenant: "other"),
        ])
        #expect(store.backlog(tenant: "acme") == 3)
        #expect(store.backlog(tenant: "other") == 1)
        let claims = try await store.claimAll()
        _ = try await store.settle(
            claims.map { .attempted($0, report(.succeeded), .done) }, claims: [:])
        #expect(store.backlog(tenant: "acme") == 3 - claims.count)
        try await store.refreshBacklogCounts()
        #expect(store.backlog(tenant: "acme") == 3 - claims.count, "the deltas agree with a recount")
    }

    @Test("a store opened with the default options is power-loss safe, as the global file's default is")
    func defaultOptionsAreDurable() async throws {
        let directory = TemporaryDirectory()
        let store = try SQLiteStore(directory: directory.path)
        _ = try await store.enqueue([makeEvent("e1")])
        #expect(store.walSync?.syncs == 1, "the commit of a request's events was fsynced")
    }

    @Test("with power_loss_safe, settling skips the fsync and ingest's commits still have theirs")
    func settleLeavesIngestDurable() async throws {
        let directory = TemporaryDirectory()
        let store = try SQLiteStore(directory: directory.path, options: SQLiteStore.Options(powerLossSafe: true))
        _ = try await store.enqueue([makeEvent("e1")])
        let claim = try #require(try store.settleBlocking([], claims: ["acme": 1]).claims["acme"]?.claims.first)
        _ = try store.settleBlocking([.attempted(claim, report(.succeeded), .done)], claims: [:])
        #expect(store.walSync?.syncs == 1, "claiming and settling made no fsync")
        _ = try await store.enqueue([makeEvent("e2")])
        #expect(store.walSync?.syncs == 2)
        #expect(try await store.deliveryState(eventID: "e1") == .done)
    }

    @Test("a pool of one handler claims only that handler's deliveries; the tenant's other pool the rest")
    func poolsSplitATenantsHandlers() async throws {
        let directory = TemporaryDirectory()
        let store = try SQLiteStore(directory: directory.path)
        _ = try await store.enqueue([
            makeEvent("e1", contact: "A", handlers: ["bot", "stream"]), makeEvent("e2", contact: "B", handlers: ["stream"]),
        ])
        let streamPool = DeliveryPool(tenant: "acme", handlers: .only("stream"))
        let execPool = DeliveryPool(tenant: "acme", handlers: .allBut(["stream"]))

        let result = try await store.settle([], claims: [streamPool: 8, execPool: 8])

        #expect(result.claims[streamPool]?.claims.map(\.handler) == ["stream", "stream"])
        #expect(result.claims[streamPool]?.claims.map(\.eventID).sorted() == ["e1", "e2"])
        #expect(result.claims[execPool]?.claims.map { "\($0.eventID)/\($0.handler)" } == ["e1/bot"])
        #expect(try await store.settle([], claims: [streamPool: 8]).claims[streamPool]?.nextDue == nil)
        #expect(try store.dueDatesBlocking(pools: [streamPool, execPool]).isEmpty, "everything is running")
    }
}

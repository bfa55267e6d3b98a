import CoregateDelivery
import CoregateStore
import CoregateTenants
import Foundation
import Logging
import Testing

/// The scheduler's I/O shell, with a real store and real handler processes.
@Suite("Dispatcher")
struct DispatcherTests {
    @Test("a direct request waits for a slot, gets it when one frees, and gives up at its deadline")
    func directSlots() async throws {
        let fixture = try Fixture(mode: .direct, concurrency: 1)
        let dispatcher = fixture.dispatcher
        #expect(await dispatcher.acquireDirect(tenant: "acme", handler: "h", timeout: .seconds(30)))
        #expect(await dispatcher.acquireDirect(tenant: "acme", handler: "h", timeout: .milliseconds(100)) == false, "the one slot is taken")

        let waiting = Task { await dispatcher.acquireDirect(tenant: "acme", handler: "h", timeout: .seconds(60)) }
        try await waitUntil { fixture.dispatcherWaits() }
        dispatcher.releaseDirect(tenant: "acme", handler: "h")
        #expect(await waiting.value, "the freed slot went to the waiting request")
        #expect(dispatcher.running == 1)
    }

    @Test("a waiting direct request ends at once, without a slot, when its task is cancelled")
    func directCancellation() async throws {
        let fixture = try Fixture(mode: .direct, concurrency: 1)
        let dispatcher = fixture.dispatcher
        #expect(await dispatcher.acquireDirect(tenant: "acme", handler: "h", timeout: .seconds(30)))
        let waiting = Task { await dispatcher.acquireDirect(tenant: "acme", handler: "h", timeout: .seconds(600)) }
        try await waitUntil { fixture.dispatcherWaits() }
        waiting.cancel()
        #expect(await waiting.value == false)
        dispatcher.releaseDirect(tenant: "acme", handler: "h")
        #expect(dispatcher.running == 0, "the cancelled request holds no slot")
    }

    @Test("the queue runs every stored event, records it, and run() returns after stop()")
    func queueRunsAndStops() async throws {
        let fixture = try Fixture(mode: .queue, concurrency: 2, command: ["/bin/sh", "-c", "cat >/dev/null"])
        let dispatcher = fixture.dispatcher
        let running = Task { await dispatcher.run() }
        _ = try await fixture.enqueue(20, contacts: 3)
        try await waitUntil { try await fixture.store.stats().first?.deliveries[.done] == 20 }
        dispatcher.stop()
        await running.value
        #expect(fixture.store.backlog(tenant: "acme") == 0)
    }

    @Test("a stop gives the deliveries claimed ahead back to the queue, with no attempt counted")
    func stopGivesClaimsBack() async throws {
        let fixture = try Fixture(mode: .queue, concurrency: 1, command: ["/bin/sh", "-c", "cat >/dev/null; sleep 0.2"])
        let dispatcher = fixture.dispatcher
        let running = Task { await dispatcher.run() }
        let events = try await fixture.enqueue(20, contacts: 20)
        try await waitUntil { try await fixture.store.stats().first?.deliveries[.running] ?? 0 > 1 }
        dispatcher.stop()
        await running.value

        let deliveries = try await withThrowingTaskGroup(of: DeliveryDetail.self) { group in
            for event in events { group.addTask { try await fixture.store.event(id: event.id)[0].deliveries[0] } }
            return try await group.reduce(into: []) { $0.append($1) }
        }
        let done = deliveries.filter { $0.state == .done }
        let waiting = deliveries.filter { $0.state != .done }
        #expect(deliveries.allSatisfy { $0.state == .done || $0.state == .pending }, "nothing is left running")
        #expect(done.count >= 1 && done.count < 20, "the stop came while most were still queued")
        #expect(waiting.allSatisfy { $0.attempts == 0 && $0.history.isEmpty }, "a claim in hand was not an attempt")
    }

    private struct Fixture {
        let directory: String
        let store: any Store
        let dispatcher: Dispatcher

        init(mode: DeliveryMode, concurrency: Int, command: [String] = ["/bin/true"]) throws {
            directory = FileManager.default.temporaryDirectory.path + "/coregate-dispatcher-" + UUID().uuidString
            store = try SQLiteStore(directory: directory)
            var delivery = DeliveryConfig(mode: mode, concurrency: concurrency)
            delivery.backoffInitial = .zero
            let tenant = Tenant(
                id: "acme", file: "acme.toml", sender: .onPremises, path: "/webhooks/acme", delivery: delivery,
                handlers: [HandlerConfig(name: "h", events: ["message.*"], command: command)])
            var global = GlobalConfig()
            global.stateDir = directory
            let logger = Logger(label: "test") { _ in SwiftLogNoOpLogHandler() }
            dispatcher = Dispatcher(
                store: store, runner: HandlerRunner(logger: logger), configuration: Configuration(global: global, tenants: [tenant]),
                logger: logger)
        }

        /// Stores `count` events of `contacts` contacts for handler "h" and wakes the dispatcher.
        func enqueue(_ count: Int, contacts: Int) async throws -> [NewEvent] {
            let events = (0..<count).map {
                NewEvent(
                    id: "e\($0)", tenant: "acme", type: "message.text", contactKey: "c\($0 % contacts)", json: Array("{}".utf8),
                    handlers: ["h"])
            }
            _ = try await store.enqueue(events)
            dispatcher.wake(tenants: ["acme"])
            return events
        }

        func dispatcherWaits() -> Bool {
            dispatcher.directRequestsWaiting == 1
        }
    }
}

private func waitUntil(_ condition: () async throws -> Bool) async throws {
    for _ in 0..<600 {
        if try await condition() { return }
        try await Task.sleep(for: .milliseconds(50))
    }
    Issue.record("condition never held")
}

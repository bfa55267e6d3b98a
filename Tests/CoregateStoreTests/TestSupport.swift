import Foundation
import GRDB
import Synchronization
@testable import CoregateStore

/// A fresh state directory per test, removed when the test's value goes away.
final class TemporaryDirectory: Sendable {
    let path: String

    init() {
        path = FileManager.default.temporaryDirectory
            .appendingPathComponent("coregate-store-\(UUID().uuidString)").path
    }

    deinit {
        try? FileManager.default.removeItem(atPath: path)
    }
}

func makeEvent(
    _ id: String, tenant: String = "acme", type: String = "message.text", contact: String? = "15550001111",
    handlers: [String] = ["bot"]
) -> NewEvent {
    NewEvent(
        id: id, tenant: tenant, type: type, contactKey: contact,
        json: Array(#"{"id":"\#(id)"}"#.utf8), handlers: handlers)
}

let noDelay = RetryPolicy(maxAttempts: 3, backoff: Backoff(initialDelay: .zero, maxDelay: .zero))

func report(_ outcome: AttemptOutcome, exitStatus: Int32? = nil) -> AttemptReport {
    AttemptReport(outcome: outcome, startedAt: Date(), duration: .milliseconds(12), exitStatus: exitStatus)
}

extension Store {
    /// Claims for tenant `acme` (or the given tenants) with room for everything.
    func claimAll(tenants: [String] = ["acme"], now: Date = Date()) async throws -> [Claim] {
        try await claimReady(
            limitPerTenant: Dictionary(uniqueKeysWithValues: tenants.map { ($0, 1000) }), now: now)
    }

    func deliveryState(eventID: String, handler: String = "bot") async throws -> DeliveryState? {
        try await event(id: eventID).first?.deliveries.first { $0.handler == handler }?.state
    }

    func count(_ sql: String) async throws -> Int {
        try await pool.read { try Int.fetchOne($0, sql: sql) ?? 0 }
    }
}

/// Shared mutable state for test tasks.
final class Locked<Value: Sendable>: Sendable {
    private let mutex: Mutex<Value>

    init(_ value: Value) { mutex = Mutex(value) }

    func withLock<T: Sendable>(_ body: (inout sending Value) -> sending T) -> T {
        mutex.withLock(body)
    }
}

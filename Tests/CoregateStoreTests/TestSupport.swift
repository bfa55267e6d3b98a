import Foundation
import GRDB
import Synchronization
import Testing
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

/// The stores every contract test runs against.
enum Backend: String, Sendable, CaseIterable, CustomTestStringConvertible {
    case sqlite

    static var available: [Backend] { allCases }

    var testDescription: String { rawValue }
}

/// Where a test's store lives, fresh per test: a state directory, or a database of its own.
/// Opening it twice gives two stores on one queue, as a service and a CLI (or two nodes) have.
final class StorePlace: Sendable {
    let backend: Backend
    private let directory = TemporaryDirectory()

    init(_ backend: Backend) async throws {
        self.backend = backend
    }

    func open(maxEventsPerCommit: Int = 2000) async throws -> any Store {
        switch backend {
        case .sqlite:
            try SQLiteStore(directory: directory.path, options: .init(maxEventsPerCommit: maxEventsPerCommit))
        }
    }
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

    /// The one number a query in SQL both stores speak returns.
    func count(_ sql: String) async throws -> Int {
        switch self {
        case let store as SQLiteStore:
            try await store.pool.read { try Int.fetchOne($0, sql: sql) ?? 0 }
        default:
            fatalError("no raw queries for \(type(of: self))")
        }
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

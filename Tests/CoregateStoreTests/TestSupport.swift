import Foundation
import GRDB
import Logging
import PostgresNIO
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

func report(_ outcome: HandlerOutcome) -> HandlerResult {
    HandlerResult(outcome: outcome, startedAt: Date(), duration: .milliseconds(12))
}

/// The stores every contract test runs against: SQLite always; PostgreSQL when the suite is
/// given a server (`make test` starts a private one: Tests/PostgreSQL/with-server.sh), and
/// always under `COREGATE_REQUIRE_POSTGRESQL`, so that a missing server fails instead of skipping.
enum Backend: String, Sendable, CaseIterable, CustomTestStringConvertible {
    case sqlite
    case postgresql

    static var available: [Backend] {
        let environment = ProcessInfo.processInfo.environment
        let postgres = environment["COREGATE_TEST_POSTGRESQL"] != nil || environment["COREGATE_REQUIRE_POSTGRESQL"] != nil
        return postgres ? allCases : [.sqlite]
    }

    static var sharedOnly: [Backend] { available.filter { $0 == .postgresql } }

    var testDescription: String { rawValue }
}

/// Where a test's store lives, fresh per test: a state directory, or a database of its own.
/// Opening it twice gives two stores on one queue, as a service and a CLI (or two nodes) have.
final class StorePlace: Sendable {
    let backend: Backend
    private let directory = TemporaryDirectory()
    let database: PostgresStore.Connection?

    init(_ backend: Backend) async throws {
        self.backend = backend
        database = backend == .postgresql ? try await TestServer.createDatabase() : nil
    }

    func open(maxEventsPerCommit: Int = 2000, lease: Duration = .seconds(60)) async throws -> any Store {
        switch backend {
        case .sqlite:
            try SQLiteStore(directory: directory.path, options: .init(maxEventsPerCommit: maxEventsPerCommit))
        case .postgresql:
            try await PostgresStore(
                database!, options: .init(lease: lease, maxEventsPerCommit: maxEventsPerCommit, maxConnections: 4),
                logger: TestServer.logger)
        }
    }
}

/// The PostgreSQL server the suite was given.
enum TestServer {
    static let logger = Logger(label: "test") { _ in SwiftLogNoOpLogHandler() }

    static var server: PostgresStore.Connection {
        get throws {
            let environment = ProcessInfo.processInfo.environment
            guard let text = environment["COREGATE_TEST_POSTGRESQL"], let url = URLComponents(string: text),
                  let host = url.host, let user = url.user
            else { throw TestServerMissing() }
            return PostgresStore.Connection(
                host: host, port: url.port ?? 5432, user: user, password: environment["COREGATE_TEST_POSTGRESQL_PASSWORD"],
                database: String(url.path.dropFirst()), tls: .disable)
        }
    }

    struct TestServerMissing: Error, CustomStringConvertible {
        var description: String { "COREGATE_TEST_POSTGRESQL names no server (postgresql://USER@HOST:PORT/DB)" }
    }

    /// A new, empty database on the server, for one test.
    static func createDatabase() async throws -> PostgresStore.Connection {
        var connection = try server
        let name = "t_" + UUID().uuidString.replacingOccurrences(of: "-", with: "").lowercased()
        try await query("CREATE DATABASE \(name)", on: connection)
        connection.database = name
        return connection
    }

    static func query(_ sql: String, on server: PostgresStore.Connection) async throws {
        let connection = try await PostgresConnection.connect(
            configuration: .init(
                host: server.host, port: server.port, username: server.user, password: server.password,
                database: server.database, tls: .disable),
            id: 1, logger: logger)
        do {
            try await connection.query(PostgresQuery(unsafeSQL: sql), logger: logger)
        } catch {
            try? await connection.close()
            throw error
        }
        try await connection.close()
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
            return try await store.pool.read { try Int.fetchOne($0, sql: sql) ?? 0 }
        case let store as PostgresStore:
            for try await count in try await store.client.query(PostgresQuery(unsafeSQL: sql)).decode(Int.self) {
                return count
            }
            return 0
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

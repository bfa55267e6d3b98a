import Dispatch
import Foundation
import Logging
import NIOCore
import NIOSSL
import PostgresNIO
import Synchronization

/// The durable queue in a PostgreSQL database that several coregate nodes share (SPEC §11): each
/// event is stored once, and each delivery is run by one node at a time.
///
/// What makes several nodes safe, beyond SQLite's contract (``Store``):
/// - **Claims** take due lane heads with `FOR UPDATE SKIP LOCKED`, so two nodes never take the
///   same delivery, and neither waits for the other.
/// - **Leases.** A claim holds the delivery until `lease_until` (the longest handler timeout
///   plus a grace). After it, the claimer is presumed dead: the next node to claim for that
///   tenant records the cut-short attempt as `interrupted`, counted, and runs it again.
/// - **Lanes** are serialized by transaction-level advisory locks, one per (tenant, handler,
///   contact), taken in one sorted go before any row is touched: an ingest on one node and the
///   settle that finishes the lane's head on another then see each other's commits, so a lane
///   never has two heads nor none, and no two transactions wait on each other in a cycle.
/// - **Wake-ups.** Each commit that queues work sends `NOTIFY coregate_work` with its tenants;
///   every node listens and wakes its dispatcher (``wakeOnWorkFromElsewhere(_:)``).
/// - **Migrations** run at open under an advisory lock, so nodes may start together.
///
/// Commits wait for `synchronous_commit` (the server's default, `on`; the store sets it for its
/// sessions): a `200` means the events are in the server's WAL on disk.
public final class PostgresStore: Store {
    public struct Connection: Sendable {
        public enum TLS: Sendable {
            case disable
            /// Encrypted; the server's certificate is not verified.
            case require
            /// Encrypted, and the certificate must chain to `rootCertificate` (the system's
            /// roots when nil) and name the host.
            case verifyFull(rootCertificate: String?)
        }

        public var host: String
        public var port: Int
        public var user: String
        public var password: String?
        public var database: String
        public var tls: TLS

        public init(host: String, port: Int, user: String, password: String?, database: String, tls: TLS) {
            self.host = host
            self.port = port
            self.user = user
            self.password = password
            self.database = database
            self.tls = tls
        }
    }

    public struct Options: Sendable {
        /// How long a claim keeps a delivery from other nodes: longer than any handler may run
        /// (its timeout and the kill that follows), and than a settle may take to commit.
        public var lease: Duration
        /// How many events one group commit takes at most (a request is never split).
        public var maxEventsPerCommit: Int
        public var maxConnections: Int
        /// How long one transaction may wait for the database (a connection included) before it
        /// fails: an unreachable database then answers `503` instead of holding requests.
        public var timeout: Duration

        public init(
            lease: Duration = .seconds(330), maxEventsPerCommit: Int = 2000, maxConnections: Int = 16,
            timeout: Duration = .seconds(10)
        ) {
            self.lease = lease
            self.maxEventsPerCommit = maxEventsPerCommit
            self.maxConnections = maxConnections
            self.timeout = timeout
        }
    }

    static let workChannel = "coregate_work"

    let client: PostgresClient
    let logger: Logger
    let options: Options
    let backlogCounts = BacklogCounts()
    private let eventWriter: EventWriter
    private let running: Task<Void, Never>
    private let listener = Mutex<Task<Void, Never>?>(nil)

    /// Connects, migrates (waiting for another node's migration) and reads the backlog counts.
    public init(_ connection: Connection, options: Options = Options(), logger: Logger) async throws {
        var configuration = PostgresClient.Configuration(
            host: connection.host, port: connection.port, username: connection.user, password: connection.password,
            database: connection.database, tls: try Self.tls(connection.tls))
        configuration.options.maximumConnections = options.maxConnections
        configuration.options.connectTimeout = options.timeout
        configuration.options.additionalStartupParameters = [
            ("synchronous_commit", "on"), ("application_name", "coregate"),
        ]
        let client = PostgresClient(configuration: configuration, backgroundLogger: logger)
        self.client = client
        self.logger = logger
        self.options = options
        self.running = Task { await client.run() }
        let counts = backlogCounts
        let timeout = options.timeout
        // The writer's own thread blocks in each commit, as it does in SQLite's.
        self.eventWriter = EventWriter(maxEventsPerCommit: options.maxEventsPerCommit) { requests in
            try Self.blocking {
                try await Self.within(timeout) {
                    try await Self.transaction(client, logger: logger) { connection in
                        let inserted = try await PostgresIngest.insert(requests, connection, now: Date(), logger: logger)
                        counts.add(inserted.queued)
                        return inserted.results
                    }
                }
            }
        }
        do {
            try await Self.within(timeout) { try await PostgresSchema.migrate(client, logger: logger) }
            try await refreshBacklogCounts()
        } catch {
            running.cancel()
            throw error
        }
    }

    deinit {
        listener.withLock { $0?.cancel() }
        running.cancel()
    }

    private static func tls(_ tls: Connection.TLS) throws -> PostgresClient.Configuration.TLS {
        switch tls {
        case .disable:
            return .disable
        case .require:
            var configuration = TLSConfiguration.makeClientConfiguration()
            configuration.certificateVerification = .none
            return .require(configuration)
        case .verifyFull(let rootCertificate):
            var configuration = TLSConfiguration.makeClientConfiguration()
            configuration.certificateVerification = .fullVerification
            if let rootCertificate {
                configuration.trustRoots = .certificates(try NIOSSLCertificate.fromPEMFile(rootCertificate))
            }
            return .require(configuration)
        }
    }

    // MARK: Running queries

    /// Fails with ``StoreError/unavailable`` when `body` takes longer than `timeout`.
    ///
    /// `body` is then left to finish, not cancelled: a transaction cut short between its
    /// statements could hand its connection back to the pool still inside it. An ingest left
    /// so may still commit after its callers were answered `503`: the senders retry, and the
    /// retry is a duplicate. At most one is left per timeout, since a caller waits that long.
    static func within<T: Sendable>(_ timeout: Duration, _ body: @escaping @Sendable () async throws -> T) async throws -> T {
        let work = Task { try await body() }
        let race = TimeoutRace()
        return try await withCheckedThrowingContinuation { continuation in
            race.timer.withLock { timer in
                timer = Task {
                    try? await Task.sleep(for: timeout)
                    guard !Task.isCancelled, race.win() else { return }
                    continuation.resume(throwing: StoreError.unavailable)
                }
            }
            Task {
                let result = await work.result
                race.timer.withLock { $0?.cancel() }
                guard race.win() else { return }
                continuation.resume(with: result)
            }
        }
    }

    /// One transaction, bounded by ``Options/timeout``; unbounded with `bounded: false`, for
    /// the dispatcher, which has nobody to answer and simply waits for the database to return
    /// (handlers that finish meanwhile are recorded once it does).
    func transaction<T: Sendable>(
        bounded: Bool = true, _ body: @escaping @Sendable (PostgresConnection) async throws -> T
    ) async throws -> T {
        let client = client, logger = logger
        guard bounded else { return try await Self.transaction(client, logger: logger, body) }
        return try await Self.within(options.timeout) {
            try await Self.transaction(client, logger: logger, body)
        }
    }

    /// PostgresNIO's transaction, throwing what failed inside it as itself, so that callers
    /// see a ``StoreError`` as one; a failed BEGIN, COMMIT or ROLLBACK stays wrapped.
    static func transaction<T: Sendable>(
        _ client: PostgresClient, logger: Logger, _ body: @escaping @Sendable (PostgresConnection) async throws -> T
    ) async throws -> T {
        do {
            return try await client.withTransaction(logger: logger) { try await body($0) }
        } catch let error as PostgresTransactionError {
            if let inside = error.closureError, error.rollbackError == nil { throw inside }
            throw error
        }
    }

    /// Runs `body` on the cooperative pool and blocks the calling thread until it ends: for the
    /// dispatcher's own threads, whose calls are blocking by design.
    static func blocking<T: Sendable>(_ body: @escaping @Sendable () async throws -> T) throws -> T {
        let done = DispatchSemaphore(value: 0)
        let outcome = Mutex<Result<T, any Error>?>(nil)
        Task {
            let result: Result<T, any Error>
            do { result = .success(try await body()) } catch { result = .failure(error) }
            outcome.withLock { $0 = result }
            done.signal()
        }
        done.wait()
        return try outcome.withLock { $0! }.get()
    }

    // MARK: Ingest and counts

    public func enqueue(_ events: [NewEvent]) async throws -> EnqueueResult {
        try await eventWriter.enqueue(events)
    }

    /// `completion` runs on the commit thread.
    public func enqueue(_ events: [NewEvent], completion: @escaping @Sendable (Result<EnqueueResult, any Error>) -> Void) {
        eventWriter.enqueue(events, completion: completion)
    }

    public func backlog(tenant: String) -> Int {
        backlogCounts.count(tenant: tenant)
    }

    public var groupCommits: Int {
        get async { eventWriter.commits }
    }

    /// Reads the unfinished part of `delivery_by_lane`: as long as the backlog, not the table.
    public func refreshBacklogCounts() async throws {
        let fresh = try await transaction(bounded: false) { [logger] connection in
            var fresh: [String: Int] = [:]
            let rows = try await connection.query("""
                SELECT tenant, COUNT(*) FROM delivery WHERE state IN ('pending', 'running', 'retrying') GROUP BY tenant
                """, logger: logger)
            for try await (tenant, count) in rows.decode((String, Int).self) { fresh[tenant] = count }
            return fresh
        }
        backlogCounts.replace(with: fresh)
    }

    public func refreshBacklogCountsBlocking() throws {
        try Self.blocking { try await self.refreshBacklogCounts() }
    }

    // MARK: Other nodes

    /// Calls `wake` with the tenants whose work another node (or the CLI) committed, from
    /// `LISTEN coregate_work` on a connection of its own. After a lost connection it listens
    /// again, and wakes for every tenant once (`nil`), since notifications sent meanwhile are gone.
    public func wakeOnWorkFromElsewhere(_ wake: @escaping @Sendable (_ tenants: [String]?) -> Void) {
        let client = client, logger = logger
        let task = Task {
            var listenedBefore = false
            while !Task.isCancelled {
                do {
                    try await client.withConnection { connection in
                        try await connection.listen(on: Self.workChannel) { notifications in
                            if listenedBefore { wake(nil) }
                            listenedBefore = true
                            for try await notification in notifications {
                                wake(notification.payload.split(separator: ",").map(String.init))
                            }
                        }
                    }
                } catch {
                    if Task.isCancelled { return }
                    logger.warning("lost the database's work notifications; listening again", metadata: ["error": "\(error)"])
                }
                try? await Task.sleep(for: .seconds(1))
            }
        }
        listener.withLock { $0?.cancel(); $0 = task }
    }

    static func notifyWork(_ tenants: some Sequence<String>, _ connection: PostgresConnection, logger: Logger) async throws {
        let payload = Set(tenants).sorted().joined(separator: ",")
        guard !payload.isEmpty else { return }
        try await connection.query("SELECT pg_notify(\(workChannel), \(payload))", logger: logger)
    }
}

/// A body and its timer, of which the first to finish answers (``PostgresStore/within(_:_:)``).
private final class TimeoutRace: Sendable {
    let answered = Atomic<Bool>(false)
    let timer = Mutex<Task<Void, Never>?>(nil)

    func win() -> Bool { !answered.exchange(true, ordering: .acquiringAndReleasing) }
}

/// Advisory-lock keys of lanes and events: 64-bit FNV-1a of their parts, stable across processes
/// and versions (Swift's `Hasher` is seeded per process). A collision only makes two
/// transactions wait for each other now and then.
enum LaneKey {
    static func of(tenant: String, handler: String, contactKey: String) -> Int64 {
        hash(["lane", tenant, handler, contactKey])
    }

    static func of(event id: String, tenant: String) -> Int64 {
        hash(["event", tenant, id])
    }

    private static func hash(_ parts: [String]) -> Int64 {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for part in parts {
            for byte in part.utf8 {
                hash = (hash ^ UInt64(byte)) &* 0x0000_0100_0000_01b3
            }
            hash = (hash ^ 0xff) &* 0x0000_0100_0000_01b3
        }
        return Int64(bitPattern: hash)
    }

    /// Takes the locks until the transaction ends, in key order, so that two transactions
    /// that want overlapping lanes never wait for each other in a cycle.
    static func lock(_ keys: Set<Int64>, _ connection: PostgresConnection, logger: Logger) async throws {
        guard !keys.isEmpty else { return }
        try await connection.query(
            "SELECT pg_advisory_xact_lock(k) FROM unnest(\(keys.sorted())::bigint[]) AS k", logger: logger)
    }
}

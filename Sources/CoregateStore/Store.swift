import Foundation
import GRDB

/// The durable queue of one box: the one owner of `<state_dir>/coregate.sqlite`.
///
/// A process opens one `SQLiteStore` per file and keeps it for its lifetime (GRDB's first rule: one
/// connection pool per file). The service and the CLI are two processes on the same file: the
/// `DatabasePool` (WAL) lets their readers run beside any writer, and a busy timeout makes a
/// writer wait for the other process's transaction instead of failing with "database is locked".
/// Writes are short transactions (a batch of events, a claim, a completion, one replay batch), so
/// the wait is short.
///
/// Opening migrates the schema. It does not touch deliveries: only the service calls
/// ``recoverInterruptedDeliveries(now:)``, because a CLI that did so would steal the running
/// service's deliveries.
public final class SQLiteStore: Store {
    public struct Options: Sendable {
        /// How far a commit (and so a `200`) is durable. SQLite runs in WAL mode either way.
        ///
        /// - `false`: a commit is written to the WAL file before it returns, but fsynced only at
        ///   checkpoints (`synchronous = NORMAL`). It survives a crash of the
        ///   process (`kill -9`, a panic, the OOM killer): the data is in the kernel's page cache.
        ///   A power loss or kernel crash can roll back the last commits before the next
        ///   checkpoint (events already answered `200` are then lost); the file stays consistent.
        /// - `true`, the default, as `power_loss_safe` in the global file: the WAL is fsynced
        ///   after every commit of events, operators' changes and replies, before the caller
        ///   hears of it, so a commit also survives power loss and kernel crashes, as far as the
        ///   disk honours flushes: what `synchronous = FULL` promises. Costs one fsync per group
        ///   commit.
        public var powerLossSafe: Bool
        /// How long a writer waits for another process's transaction before failing.
        public var busyTimeout: Duration
        /// How many events one group commit takes at most. A single `enqueue` larger than this is
        /// still committed whole: a request's events share one transaction.
        public var maxEventsPerCommit: Int

        public init(powerLossSafe: Bool = true, busyTimeout: Duration = .seconds(10), maxEventsPerCommit: Int = 2000) {
            self.powerLossSafe = powerLossSafe
            self.busyTimeout = busyTimeout
            self.maxEventsPerCommit = maxEventsPerCommit
        }
    }

    public static let fileName = "coregate.sqlite"

    let pool: DatabasePool
    let backlogCounts: BacklogCounts
    /// Nil unless ``Options/powerLossSafe``.
    let walSync: WALSync?
    private let eventWriter: EventWriter

    /// Opens (creating if needed) `directory/coregate.sqlite` and migrates it. It blocks, up to
    /// the busy timeout while another process holds the file, so call it at startup, never on an
    /// event loop.
    public init(directory: String, options: Options = Options()) throws {
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        var configuration = Configuration()
        configuration.busyMode = .timeout(options.busyTimeout.timeInterval)
        let pool = try Self.openMigrated(
            path: directory + "/" + Self.fileName, configuration: configuration,
            deadline: .now + options.busyTimeout)
        // NORMAL whatever `powerLossSafe` says: a commit that must survive power loss is followed
        // by an fdatasync of the WAL (`WALSync`), outside the writer. Set on the pool's one writer
        // connection, after the pool is open, as the pool sets it when it turns WAL on.
        try pool.writeWithoutTransaction { try $0.execute(sql: "PRAGMA synchronous = NORMAL") }

        let backlogCounts = BacklogCounts()
        try pool.read(backlogCounts.reload(from:))

        self.pool = pool
        self.backlogCounts = backlogCounts
        let walSync = options.powerLossSafe ? WALSync(path: directory + "/" + Self.fileName + "-wal") : nil
        self.walSync = walSync
        self.eventWriter = EventWriter(maxEventsPerCommit: options.maxEventsPerCommit) { requests in
            let results = try pool.writeWithoutTransaction { db in
                try Self.inCachedTransaction(db) {
                    let inserted = try EventInsertion.insert(requests, into: db, now: Date())
                    backlogCounts.add(inserted.queued)
                    return inserted.results
                }
            }
            try walSync?.sync()
            return results
        }
    }

    /// `Database.inTransaction` prepares its BEGIN and COMMIT anew each time; group commit and
    /// the dispatcher run one transaction per batch, so they keep them prepared.
    private static func inCachedTransaction<T>(_ db: Database, _ body: () throws -> T) throws -> T {
        try db.cachedStatement(sql: "BEGIN IMMEDIATE TRANSACTION").execute()
        do {
            let result = try body()
            try db.cachedStatement(sql: "COMMIT TRANSACTION").execute()
            return result
        } catch {
            if db.isInsideTransaction { try? db.execute(sql: "ROLLBACK TRANSACTION") }
            throw error
        }
    }

    /// See ``Store/enqueue(_:)``. On return the events are as durable as ``Options/powerLossSafe`` says.
    public func enqueue(_ events: [NewEvent]) async throws -> EnqueueResult {
        try await eventWriter.enqueue(events)
    }

    /// See ``Store/enqueue(_:completion:)``: `completion` runs on the commit thread.
    public func enqueue(_ events: [NewEvent], completion: @escaping @Sendable (Result<EnqueueResult, any Error>) -> Void) {
        eventWriter.enqueue(events, completion: completion)
    }

    /// A lock and a dictionary lookup.
    public func backlog(tenant: String) -> Int {
        backlogCounts.count(tenant: tenant)
    }

    public var groupCommits: Int {
        get async { eventWriter.commits }
    }

    /// Opens the pool and migrates, retrying while another process opens the same new file:
    /// turning WAL on takes a moment's exclusive lock that SQLite refuses at once, without the
    /// busy timeout, and the migrator reads which migrations ran before its own transaction, so
    /// the slower of two processes can run a migration again: it fails on `v1`'s `CREATE TABLE`,
    /// or, for one that rebuilds tables under new names (`v3`), only when it records itself in
    /// `grdb_migrations` (a constraint error); either way its transaction rolls back.
    private static func openMigrated(
        path: String, configuration: Configuration, deadline: ContinuousClock.Instant
    ) throws -> DatabasePool {
        let migrator = Migrations.migrator
        while true {
            do {
                let pool = try DatabasePool(path: path, configuration: configuration)
                try migrator.migrate(pool)
                if try pool.read(migrator.hasBeenSuperseded) {
                    throw StoreError.schemaTooNew
                }
                return pool
            } catch let error as DatabaseError
                where ContinuousClock.now < deadline
                && [.SQLITE_BUSY, .SQLITE_LOCKED, .SQLITE_ERROR, .SQLITE_CONSTRAINT].contains(error.resultCode)
            {
                Thread.sleep(forTimeInterval: 0.01)
            }
        }
    }

    /// A transaction that keeps ``Options/powerLossSafe``'s promise: operators' changes, replies.
    func write<T: Sendable>(_ updates: @escaping @Sendable (Database) throws -> T) async throws -> T {
        let result = try await pool.write(updates)
        try walSync?.sync()
        return result
    }

    /// A transaction whose loss in a power cut breaks no promise, so it need not wait for an fsync:
    /// the dispatcher's records and claims (a lost one means a delivery runs again, as after any
    /// crash) and direct mode's memory of successes. Its commit is in the WAL without an fsync;
    /// the next synced commit (an ingest, which answers `200` only after it) makes it durable too,
    /// since the WAL is written in order.
    func writeWithoutFsync<T>(_ updates: (Database) throws -> T) throws -> T {
        try pool.writeWithoutTransaction { db in try Self.inCachedTransaction(db) { try updates(db) } }
    }

    /// ``writeWithoutFsync(_:)`` from async code.
    func writeWithoutFsync<T: Sendable>(_ updates: @escaping @Sendable (Database) throws -> T) async throws -> T {
        try await pool.writeWithoutTransaction { db in try Self.inCachedTransaction(db) { try updates(db) } }
    }

    /// A file has one service; the CLI's replays show up at the dispatcher's next look at the queue.
    public func wakeOnWorkFromElsewhere(_ wake: @escaping @Sendable (_ tenants: [String]?) -> Void) {}

    /// Reads the backlog counts afresh: after this process's operator writes, and now and then in
    /// the service, to see what another process (the CLI's `replay`) changed.
    ///
    /// On the writer's queue, like every write of this process: each write adds its change to the
    /// counts inside its transaction, so a recount never lands between a commit and its change.
    public func refreshBacklogCounts() async throws {
        try await pool.writeWithoutTransaction(backlogCounts.reload(from:))
    }

    /// ``refreshBacklogCounts()`` on the calling thread, which it blocks: for a thread of the caller's own.
    public func refreshBacklogCountsBlocking() throws {
        try pool.writeWithoutTransaction(backlogCounts.reload(from:))
    }
}

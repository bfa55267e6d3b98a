import GRDB
import Synchronization

/// Each tenant's backlog (pending + running + retrying deliveries), readable without touching the
/// database, so the HTTP path can check the backlog bound on every request for the price of a lock.
///
/// The numbers come from `delivery_count`, which triggers keep exact. The store reloads them inside
/// every write transaction of this process (one scan of a table with a few rows per tenant), so
/// they follow this process's own commits at once. A write by another process (the CLI's
/// `replay`) shows up at this process's next write; the dispatcher writes whenever there is work,
/// so the lag is short, and the bound is a soft limit anyway.
final class BacklogCounts: Sendable {
    private let counts = Mutex<[String: Int]>([:])

    func count(tenant: String) -> Int {
        counts.withLock { $0[tenant] ?? 0 }
    }

    func reload(from db: Database) throws {
        // Cached: this runs in every write transaction, and preparing it each time showed in profiles.
        let statement = try db.cachedStatement(sql: """
            SELECT tenant, SUM(n) FROM delivery_count
            WHERE state IN ('pending', 'running', 'retrying') GROUP BY tenant
            """)
        let rows = try Row.fetchAll(statement)
        var fresh: [String: Int] = [:]
        for row in rows { fresh[row[0]] = row[1] }
        counts.withLock { $0 = fresh }
    }
}

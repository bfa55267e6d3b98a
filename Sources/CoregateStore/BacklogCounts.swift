import GRDB
import Synchronization

/// Each tenant's backlog (pending + running + retrying deliveries), readable without touching the
/// database, so the HTTP path can check the backlog bound on every request for the price of a lock.
///
/// They are read from `delivery_count` (kept exact by every write, see ``DeliveryCountChanges``) at start, then kept by deltas: the
/// store adds what each commit of this process queued and subtracts what it finished, so no write
/// pays for a recount. A write by another process (the CLI's `replay`) shows up at the next
/// ``Store/refreshBacklogCounts()``, which the service calls every few seconds; the bound is a
/// soft limit anyway.
final class BacklogCounts: Sendable {
    private let counts = Mutex<[String: Int]>([:])

    func count(tenant: String) -> Int {
        counts.withLock { $0[tenant] ?? 0 }
    }

    /// Adds each tenant's change, inside the transaction that makes it (see
    /// ``Store/refreshBacklogCounts()``); a commit that then fails leaves the counts off until the
    /// next recount, which a soft bound can afford.
    func add(_ changes: [String: Int]) {
        guard !changes.isEmpty else { return }
        counts.withLock { counts in
            for (tenant, change) in changes { counts[tenant, default: 0] += change }
        }
    }

    func replace(with fresh: [String: Int]) {
        counts.withLock { $0 = fresh }
    }

    func reload(from db: Database) throws {
        let statement = try db.cachedStatement(sql: """
            SELECT tenant, SUM(n) FROM delivery_count
            WHERE state IN ('pending', 'running', 'retrying') GROUP BY tenant
            """)
        let rows = try Row.fetchAll(statement)
        var fresh: [String: Int] = [:]
        for row in rows { fresh[row[0]] = row[1] }
        replace(with: fresh)
    }
}

import Foundation
import GRDB

/// A delivery taken by the dispatcher: it is `running` until ``Store/complete(_:report:policy:now:)``.
public struct Claim: Sendable, Hashable {
    public let deliveryID: Int64
    public let eventID: String
    public let eventType: String
    public let tenant: String
    public let handler: String
    /// 1-based within the current round (`COREGATE_ATTEMPT`). An attempt cut short by a crash
    /// counts, so the attempt after a restart has the next number.
    public let attempt: Int
    /// Starts at 1; each replay starts a new round with its attempts counted from 1 again.
    public let round: Int
    /// The event as the handler reads it on stdin.
    public let json: [UInt8]
}

extension Store {
    /// Claims due deliveries, oldest due first, and marks them running.
    ///
    /// Due: a lane head that is pending, or retrying with `next_attempt_at <= now`. Per-contact
    /// order holds because only heads are claimable: a delivery waits while an earlier one of its
    /// lane (tenant, handler, contact) is unfinished, and other contacts' deliveries go ahead.
    ///
    /// - Parameters:
    ///   - limitPerTenant: free handler slots per tenant; a tenant absent or at 0 gets nothing.
    ///   - max: free slots overall.
    ///
    /// Cost: one index range read per tenant of at most its limit rows (`delivery_due`), so it
    /// stays flat whatever the backlog, then one update per claim.
    public func claimReady(limitPerTenant: [String: Int], now: Date = Date(), max: Int) async throws -> [Claim] {
        guard max > 0 else { return [] }
        let now = now.storeMilliseconds
        return try await write { db in
            let candidates = try Self.dueHeads(db, limitPerTenant: limitPerTenant, now: now, max: max)
            return try candidates.prefix(max).map { try Self.markRunning(db, deliveryID: $0.id, now: now) }
        }
    }

    /// When the earliest waiting head of these tenants becomes due (now or in the past when one
    /// is due already); nil when none waits. Lets the dispatcher sleep until a retry is due.
    public func nextDueDate(tenants: [String]) async throws -> Date? {
        try await pool.read { db in
            let statement = try db.cachedStatement(sql: """
                SELECT MIN(next_attempt_at) FROM delivery WHERE tenant = ? AND \(StateSQL.waitingHead)
                """)
            let dates = try tenants.compactMap { try Int64.fetchOne(statement, arguments: [$0]) }
            return dates.min().map(Date.init(storeMilliseconds:))
        }
    }

    private struct DueHead {
        var id: Int64
        var nextAttemptAt: Int64
    }

    /// Each tenant's first due heads, merged oldest due first.
    private static func dueHeads(_ db: Database, limitPerTenant: [String: Int], now: Int64, max: Int) throws -> [DueHead] {
        let statement = try db.cachedStatement(sql: dueHeadsSQL)
        var heads: [DueHead] = []
        for (tenant, limit) in limitPerTenant where limit > 0 {
            let rows = try Row.fetchCursor(statement, arguments: [tenant, now, Swift.min(limit, max)])
            while let row = try rows.next() {
                heads.append(DueHead(id: row[0], nextAttemptAt: row[1]))
            }
        }
        return heads.sorted { ($0.nextAttemptAt, $0.id) < ($1.nextAttemptAt, $1.id) }
    }

    /// One tenant's due heads, read in order from `delivery_due`: at most LIMIT index entries.
    static let dueHeadsSQL = """
        SELECT id, next_attempt_at FROM delivery
        WHERE tenant = ? AND \(StateSQL.waitingHead) AND next_attempt_at <= ?
        ORDER BY next_attempt_at, id LIMIT ?
        """

    private static func markRunning(_ db: Database, deliveryID: Int64, now: Int64) throws -> Claim {
        let statement = try db.cachedStatement(sql: """
            UPDATE delivery SET state = 'running', attempts = attempts + 1, claimed_at = ? WHERE id = ?
            RETURNING event_seq, tenant, handler, attempts, round
            """)
        guard let delivery = try Row.fetchOne(statement, arguments: [now, deliveryID]) else {
            fatalError("delivery \(deliveryID) was found in this transaction, so it exists")
        }
        let eventStatement = try db.cachedStatement(sql: "SELECT id, type, json FROM event WHERE seq = ?")
        guard let event = try Row.fetchOne(eventStatement, arguments: [delivery["event_seq"] as Int64]) else {
            fatalError("delivery \(deliveryID) has no event; the foreign key forbids that")
        }
        return Claim(
            deliveryID: deliveryID, eventID: event["id"], eventType: event["type"],
            tenant: delivery["tenant"], handler: delivery["handler"],
            attempt: delivery["attempts"], round: delivery["round"], json: [UInt8](event["json"] as Data))
    }
}

import Foundation
import GRDB

/// A delivery taken by the dispatcher: it is `running` until settled (``Store/settle(_:claims:now:)``).
public struct Claim: Sendable, Hashable {
    public let deliveryID: Int64
    public let eventID: String
    public let eventType: String
    public let tenant: String
    public let handler: String
    /// The contact whose lane the delivery is in; nil: a lane of its own.
    public let contactKey: String?
    /// 1-based within the current round (`COREGATE_ATTEMPT`). An attempt cut short by a crash
    /// counts, so the attempt after a restart has the next number.
    public let attempt: Int
    /// Starts at 1; each replay starts a new round with its attempts counted from 1 again.
    public let round: Int
    /// The event as the handler reads it on stdin.
    public let json: [UInt8]
}

/// One tenant's claims of a settle transaction, and, when fewer came than were asked for, when
/// its next waiting head becomes due (nil: none waits).
public struct TenantClaims: Sendable, Equatable {
    public var claims: [Claim]
    public var exhausted: Bool
    public var nextDue: Date?
}

/// Due: a lane head that is pending, or retrying with `next_attempt_at <= now`. Per-contact order
/// holds because only heads are claimable: a delivery waits while an earlier one of its lane
/// (tenant, handler, contact) is unfinished, and other contacts' deliveries go ahead.
enum Claiming {
    /// Claims up to `limit` of the pool's due heads, oldest due first, and marks them running.
    ///
    /// Cost: one range read of at most `limit` entries of `delivery_due`, with each one's event,
    /// and one update per claim, whatever the backlog; one more index lookup when the pool comes up
    /// short. A pool of some of a tenant's handlers skips the other handlers' heads in the same
    /// index range. The update has no RETURNING: SQLite builds a temporary table for each
    /// statement that has one, which cost more than the update; the read has what it would return.
    static func claim(
        _ db: Database, pool: DeliveryPool, limit: Int, now: Int64, counts: inout DeliveryCountChanges
    ) throws -> TenantClaims {
        let (condition, handlers) = pool.handlerCondition
        let due = try db.cachedStatement(sql: dueHeadsSQL(handlerCondition: condition))
        let markRunning = try db.cachedStatement(sql: """
            UPDATE delivery SET state = 'running', attempts = attempts + 1, claimed_at = ? WHERE id = ?
            """)
        var heads: [(claim: Claim, state: String)] = []
        try due.eachRow([.text(pool.tenant)] + handlers.map(RawValue.text) + [.integer(now), .integer(limit)]) { head in
            heads.append((Claim(
                deliveryID: head.integer(0), eventID: head.text(6), eventType: head.text(7), tenant: head.text(1),
                handler: head.text(2), contactKey: head.optionalText(3), attempt: head.int(4) + 1, round: head.int(5),
                json: head.bytes(8)), head.text(9)))
        }
        let claims = try heads.map { claim, state in
            try markRunning.run([.integer(now), .integer(claim.deliveryID)])
            counts.move(tenant: claim.tenant, from: DeliveryState(rawValue: state), to: .running)
            return claim
        }
        guard claims.count < limit else { return TenantClaims(claims: claims, exhausted: false, nextDue: nil) }
        return TenantClaims(claims: claims, exhausted: true, nextDue: try nextDue(db, pool: pool))
    }

    static func dueDates(_ db: Database, pools: [DeliveryPool]) throws -> [DeliveryPool: Date] {
        var dates: [DeliveryPool: Date] = [:]
        for pool in pools {
            dates[pool] = try nextDue(db, pool: pool)
        }
        return dates
    }

    /// When the pool's earliest waiting head becomes due; nil when none waits.
    static func nextDue(_ db: Database, pool: DeliveryPool) throws -> Date? {
        let (condition, handlers) = pool.handlerCondition
        let statement = try db.cachedStatement(sql: """
            SELECT MIN(next_attempt_at) FROM delivery WHERE tenant = ?\(condition) AND \(StateSQL.waitingHead)
            """)
        var arguments: StatementArguments = [pool.tenant]
        arguments += StatementArguments(handlers)
        return try Int64.fetchOne(statement, arguments: arguments).map(Date.init(storeMilliseconds:))
    }

    /// One pool's due heads, read in order from `delivery_due`: at most LIMIT index entries for a
    /// whole tenant, each with what its claim needs (the attempts before it) and its event. The
    /// index is named because with a handler condition SQLite would rather read
    /// `delivery_by_lane`, which holds every unfinished delivery of the handler, not only the heads.
    static func dueHeadsSQL(handlerCondition: String) -> String {
        """
        SELECT d.id, d.tenant, d.handler, d.contact_key, d.attempts, d.round, e.id, e.type, e.json, d.state
        FROM delivery AS d INDEXED BY delivery_due JOIN event AS e ON e.seq = d.event_seq
        WHERE d.tenant = ?\(handlerCondition) AND \(StateSQL.waitingHead) AND d.next_attempt_at <= ?
        ORDER BY d.next_attempt_at, d.id LIMIT ?
        """
    }
}

extension SQLiteStore {
    /// One index lookup per tenant.
    public func dueDates(tenants: [String]) async throws -> [String: Date] {
        let pools = tenants.map { DeliveryPool(tenant: $0) }
        let dates = try await pool.read { try Claiming.dueDates($0, pools: pools) }
        return Dictionary(uniqueKeysWithValues: dates.map { ($0.key.tenant, $0.value) })
    }

    /// One index lookup per pool.
    public func dueDatesBlocking(pools: [DeliveryPool]) throws -> [DeliveryPool: Date] {
        try pool.read { try Claiming.dueDates($0, pools: pools) }
    }
}

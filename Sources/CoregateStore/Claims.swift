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
    /// Cost: one range read of at most `limit` entries of `delivery_due` and one update per claim,
    /// whatever the backlog; one more index lookup when the pool comes up short. A pool of some of
    /// a tenant's handlers skips the other handlers' heads in the same index range.
    static func claim(_ db: Database, pool: DeliveryPool, limit: Int, now: Int64) throws -> TenantClaims {
        let (condition, handlers) = pool.handlerCondition
        let due = try db.cachedStatement(sql: dueHeadsSQL(handlerCondition: condition))
        var arguments: StatementArguments = [pool.tenant]
        arguments += StatementArguments(handlers)
        arguments += [now, limit]
        let ids = try Int64.fetchAll(due, arguments: arguments)
        let claims = try ids.map { try markRunning(db, deliveryID: $0, now: now) }
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
    /// whole tenant. The index is named because with a handler condition SQLite would rather read
    /// `delivery_by_lane`, which holds every unfinished delivery of the handler, not only the heads.
    static func dueHeadsSQL(handlerCondition: String) -> String {
        """
        SELECT id FROM delivery INDEXED BY delivery_due
        WHERE tenant = ?\(handlerCondition) AND \(StateSQL.waitingHead) AND next_attempt_at <= ?
        ORDER BY next_attempt_at, id LIMIT ?
        """
    }

    private static func markRunning(_ db: Database, deliveryID: Int64, now: Int64) throws -> Claim {
        let statement = try db.cachedStatement(sql: """
            UPDATE delivery SET state = 'running', attempts = attempts + 1, claimed_at = ? WHERE id = ?
            RETURNING event_seq, tenant, handler, contact_key, attempts, round
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
            tenant: delivery["tenant"], handler: delivery["handler"], contactKey: delivery["contact_key"],
            attempt: delivery["attempts"], round: delivery["round"], json: [UInt8](event["json"] as Data))
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

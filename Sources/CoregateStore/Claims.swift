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
    /// Claims up to `limit` of the tenant's due heads, oldest due first, and marks them running.
    ///
    /// Cost: one range read of at most `limit` entries of `delivery_due` and one update per claim,
    /// whatever the backlog; one more index lookup when the tenant comes up short.
    static func claim(_ db: Database, tenant: String, limit: Int, now: Int64) throws -> TenantClaims {
        let due = try db.cachedStatement(sql: dueHeadsSQL)
        let ids = try Int64.fetchAll(due, arguments: [tenant, now, limit])
        let claims = try ids.map { try markRunning(db, deliveryID: $0, now: now) }
        guard claims.count < limit else { return TenantClaims(claims: claims, exhausted: false, nextDue: nil) }
        return TenantClaims(claims: claims, exhausted: true, nextDue: try nextDue(db, tenant: tenant))
    }

    static func dueDates(_ db: Database, tenants: [String]) throws -> [String: Date] {
        var dates: [String: Date] = [:]
        for tenant in tenants {
            dates[tenant] = try nextDue(db, tenant: tenant)
        }
        return dates
    }

    /// When the tenant's earliest waiting head becomes due; nil when none waits.
    static func nextDue(_ db: Database, tenant: String) throws -> Date? {
        let statement = try db.cachedStatement(sql: """
            SELECT MIN(next_attempt_at) FROM delivery WHERE tenant = ? AND \(StateSQL.waitingHead)
            """)
        return try Int64.fetchOne(statement, arguments: [tenant]).map(Date.init(storeMilliseconds:))
    }

    /// One tenant's due heads, read in order from `delivery_due`: at most LIMIT index entries.
    static let dueHeadsSQL = """
        SELECT id FROM delivery
        WHERE tenant = ? AND \(StateSQL.waitingHead) AND next_attempt_at <= ?
        ORDER BY next_attempt_at, id LIMIT ?
        """

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
        try await pool.read { try Claiming.dueDates($0, tenants: tenants) }
    }

    public func dueDatesBlocking(tenants: [String]) throws -> [String: Date] {
        try pool.read { try Claiming.dueDates($0, tenants: tenants) }
    }
}

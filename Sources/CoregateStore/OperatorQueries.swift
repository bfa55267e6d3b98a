import Foundation
import GRDB

/// A line of `coregate events`.
public struct EventSummary: Sendable, Equatable {
    public var tenant: String
    public var id: String
    public var type: String
    public var contactKey: String?
    public var storedAt: Date
    /// Each handler's delivery state, by handler name.
    public var deliveries: [String: DeliveryState]
}

/// `coregate events show ID`: the event, and every delivery and attempt.
public struct EventDetail: Sendable, Equatable {
    public var tenant: String
    public var id: String
    public var type: String
    public var contactKey: String?
    public var storedAt: Date
    public var json: [UInt8]
    public var deliveries: [DeliveryDetail]
}

public struct DeliveryDetail: Sendable, Equatable {
    public var id: Int64
    public var handler: String
    public var state: DeliveryState
    public var round: Int
    /// Attempts started in the current round.
    public var attempts: Int
    /// When a pending or retrying delivery is due.
    public var nextAttemptAt: Date?
    public var finishedAt: Date?
    /// Every attempt of every round, oldest first.
    public var history: [AttemptRecord]
    /// The actions its successful attempts asked for, in order.
    public var replies: [ReplyRecord]
}

public struct AttemptRecord: Sendable, Equatable {
    public var round: Int
    public var number: Int
    public var startedAt: Date
    /// nil for an attempt interrupted by a crash.
    public var duration: Duration?
    /// The stored text: a ``HandlerOutcome/recordedName``, or ``HandlerOutcome/interruptedName``.
    public var outcome: String
    public var exitStatus: Int32?
    public var signal: Int32?
    public var stdout: [UInt8]
    public var stderrLines: Int
}

/// `coregate stats`, one tenant.
public struct TenantStats: Sendable, Equatable {
    public var tenant: String
    public var deliveries: [DeliveryState: Int]
    /// Age of the oldest delivery waiting (pending or retrying), measured from its event's arrival.
    public var oldestPendingAge: Duration?
    /// Attempts started in the last hour, by outcome text.
    public var outcomesLastHour: [String: Int]
}

extension SQLiteStore {
    /// Events, newest first. `state` keeps events with at least one delivery in that state;
    /// `typeGlob` is a handler-style glob (`EventTypePattern`), matched with SQLite's GLOB, which
    /// means the same on the characters such a glob may hold.
    ///
    /// Walks events from the newest until `limit` match: quick for recent or common states, a
    /// scan of the table when few rows match (fine for an operator's command, not for a hot path).
    public func events(
        tenant: String?, state: DeliveryState?, typeGlob: String?, limit: Int
    ) async throws -> [EventSummary] {
        try await pool.read { db in
            var conditions: [String] = []
            var arguments: StatementArguments = []
            if let tenant {
                conditions.append("tenant = ?")
                arguments += [tenant]
            }
            if let typeGlob {
                conditions.append("type GLOB ?")
                arguments += [typeGlob]
            }
            if let state {
                conditions.append("EXISTS (SELECT 1 FROM delivery WHERE event_seq = event.seq AND state = ?)")
                arguments += [state.rawValue]
            }
            arguments += [limit]
            let whereClause = conditions.isEmpty ? "" : "WHERE " + conditions.joined(separator: " AND ")
            let rows = try Row.fetchAll(db, sql: """
                SELECT seq, tenant, id, type, contact_key, stored_at FROM event \(whereClause)
                ORDER BY seq DESC LIMIT ?
                """, arguments: arguments)
            let deliveries = try db.cachedStatement(sql: "SELECT handler, state FROM delivery WHERE event_seq = ?")
            return try rows.map { row in
                var states: [String: DeliveryState] = [:]
                for delivery in try Row.fetchAll(deliveries, arguments: [row["seq"] as Int64]) {
                    states[delivery["handler"]] = DeliveryState(rawValue: delivery["state"])
                }
                return EventSummary(
                    tenant: row["tenant"], id: row["id"], type: row["type"], contactKey: row["contact_key"],
                    storedAt: Date(storeMilliseconds: row["stored_at"]), deliveries: states)
            }
        }
    }

    /// The event with this id in each tenant that has one (usually one), with its deliveries and
    /// their attempts.
    public func event(id: String) async throws -> [EventDetail] {
        try await pool.read { db in
            let events = try Row.fetchAll(db, sql: """
                SELECT seq, tenant, id, type, contact_key, stored_at, json FROM event WHERE id = ? ORDER BY tenant
                """, arguments: [id])
            return try events.map { event in
                EventDetail(
                    tenant: event["tenant"], id: event["id"], type: event["type"], contactKey: event["contact_key"],
                    storedAt: Date(storeMilliseconds: event["stored_at"]), json: [UInt8](event["json"] as Data),
                    deliveries: try Self.deliveryDetails(db, eventSeq: event["seq"]))
            }
        }
    }

    /// From `delivery_count` (``DeliveryCountChanges``), whatever the backlog.
    public func deliveryCounts() async throws -> [DeliveryState: Int] {
        try await pool.read { db in
            var counts: [DeliveryState: Int] = [:]
            for row in try Row.fetchAll(db, sql: "SELECT state, SUM(n) AS n FROM delivery_count GROUP BY state") {
                guard let state = DeliveryState(rawValue: row["state"]) else { continue }
                counts[state] = row["n"]
            }
            return counts
        }
    }

    public func stats(now: Date) async throws -> [TenantStats] {
        try await pool.read { db in
            var stats: [String: TenantStats] = [:]
            func update(_ tenant: String, _ change: (inout TenantStats) -> Void) {
                change(&stats[tenant, default: TenantStats(
                    tenant: tenant, deliveries: [:], oldestPendingAge: nil, outcomesLastHour: [:])])
            }
            for row in try Row.fetchAll(db, sql: "SELECT tenant, state, n FROM delivery_count WHERE n > 0") {
                guard let state = DeliveryState(rawValue: row["state"]) else { continue }
                update(row["tenant"]) { $0.deliveries[state] = row["n"] }
            }
            // Reads the backlog's part of `delivery_by_lane`, not the whole table.
            for row in try Row.fetchAll(db, sql: """
                SELECT oldest.tenant, event.stored_at FROM (
                    SELECT tenant, MIN(id) AS id FROM delivery
                    WHERE \(StateSQL.unfinished) AND state <> 'running' GROUP BY tenant) AS oldest
                JOIN delivery ON delivery.id = oldest.id JOIN event ON event.seq = delivery.event_seq
                """) {
                let age = Duration.milliseconds(now.storeMilliseconds - (row["stored_at"] as Int64))
                update(row["tenant"]) { $0.oldestPendingAge = age }
            }
            let hourAgo = now.addingTimeInterval(-3600).storeMilliseconds
            for row in try Row.fetchAll(db, sql: """
                SELECT delivery.tenant, attempt.outcome, COUNT(*) AS n
                FROM attempt JOIN delivery ON delivery.id = attempt.delivery_id
                WHERE attempt.started_at >= ? GROUP BY delivery.tenant, attempt.outcome
                """, arguments: [hourAgo]) {
                update(row["tenant"]) { $0.outcomesLastHour[row["outcome"]] = row["n"] }
            }
            return stats.values.sorted { $0.tenant < $1.tenant }
        }
    }

    private static func deliveryDetails(_ db: Database, eventSeq: Int64) throws -> [DeliveryDetail] {
        let attempts = try db.cachedStatement(sql: """
            SELECT round, number, started_at, duration_ms, outcome, exit_status, signal, stdout, stderr_lines
            FROM attempt WHERE delivery_id = ? ORDER BY round, number
            """)
        return try Row.fetchAll(db, sql: """
            SELECT id, handler, state, round, attempts, next_attempt_at, finished_at
            FROM delivery WHERE event_seq = ? ORDER BY handler
            """, arguments: [eventSeq]).map { delivery in
            let state = DeliveryState(rawValue: delivery["state"]) ?? .pending
            let history = try Row.fetchAll(attempts, arguments: [delivery["id"] as Int64]).map { attempt in
                AttemptRecord(
                    round: attempt["round"], number: attempt["number"],
                    startedAt: Date(storeMilliseconds: attempt["started_at"]),
                    duration: (attempt["duration_ms"] as Int64?).map(Duration.milliseconds),
                    outcome: attempt["outcome"], exitStatus: attempt["exit_status"], signal: attempt["signal"],
                    stdout: [UInt8](attempt["stdout"] as Data), stderrLines: attempt["stderr_lines"])
            }
            return DeliveryDetail(
                id: delivery["id"], handler: delivery["handler"], state: state, round: delivery["round"],
                attempts: delivery["attempts"],
                nextAttemptAt: state.isFinished || state == .running
                    ? nil : Date(storeMilliseconds: delivery["next_attempt_at"]),
                finishedAt: (delivery["finished_at"] as Int64?).map(Date.init(storeMilliseconds:)),
                history: history, replies: try ReplySQL.records(db, deliveryID: delivery["id"]))
        }
    }
}

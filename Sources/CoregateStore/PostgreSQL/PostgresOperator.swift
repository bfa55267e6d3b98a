import Foundation
import Logging
import NIOCore
import PostgresNIO

/// The operator's verbs on ``PostgresStore``, as on SQLite (``SQLiteStore``'s `OperatorQueries`
/// and `OperatorActions`): the same answers, and writes in batches of ``OperatorBatches/size``
/// rows so the nodes' transactions never wait long behind one.
extension PostgresStore {
    public func events(tenant: String?, state: DeliveryState?, typeGlob: String?, limit: Int) async throws -> [EventSummary] {
        let logger = logger
        return try await transaction { connection in
            let rows = try await connection.query("""
                SELECT seq, tenant, id, type, contact_key, stored_at FROM event
                WHERE (\(tenant)::text IS NULL OR tenant = \(tenant))
                  AND (\(typeGlob.map(Self.likePattern))::text IS NULL OR type LIKE \(typeGlob.map(Self.likePattern)))
                  AND (\(state?.rawValue)::text IS NULL OR EXISTS (
                        SELECT 1 FROM delivery WHERE event_seq = event.seq AND state = \(state?.rawValue)))
                ORDER BY seq DESC LIMIT \(limit)
                """, logger: logger)
            var summaries: [(seq: Int64, summary: EventSummary)] = []
            for try await (seq, tenant, id, type, contactKey, storedAt) in rows.decode((Int64, String, String, String, String?, Int64).self) {
                summaries.append((seq, EventSummary(
                    tenant: tenant, id: id, type: type, contactKey: contactKey,
                    storedAt: Date(storeMilliseconds: storedAt), deliveries: [:])))
            }
            let deliveries = try await connection.query("""
                SELECT event_seq, handler, state FROM delivery WHERE event_seq = ANY(\(summaries.map(\.seq)))
                """, logger: logger)
            var states: [Int64: [String: DeliveryState]] = [:]
            for try await (seq, handler, state) in deliveries.decode((Int64, String, String).self) {
                states[seq, default: [:]][handler] = DeliveryState(rawValue: state)
            }
            return summaries.map { seq, summary in
                var summary = summary
                summary.deliveries = states[seq] ?? [:]
                return summary
            }
        }
    }

    /// A handler-style glob (a-z, 0-9, `.`, `_`, `-`, `*`) as a LIKE pattern: `*` is `%`, and
    /// LIKE's own wildcard `_` is taken literally.
    static func likePattern(_ glob: String) -> String {
        glob.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "%", with: "\\%")
            .replacingOccurrences(of: "_", with: "\\_").replacingOccurrences(of: "*", with: "%")
    }

    public func event(id: String) async throws -> [EventDetail] {
        let logger = logger
        return try await transaction { connection in
            let rows = try await connection.query("""
                SELECT seq, tenant, id, type, contact_key, stored_at, json FROM event WHERE id = \(id) ORDER BY tenant
                """, logger: logger)
            var events: [(Int64, EventDetail)] = []
            for try await (seq, tenant, id, type, contactKey, storedAt, json)
                in rows.decode((Int64, String, String, String, String?, Int64, ByteBuffer).self)
            {
                events.append((seq, EventDetail(
                    tenant: tenant, id: id, type: type, contactKey: contactKey, storedAt: Date(storeMilliseconds: storedAt),
                    json: Array(json.readableBytesView), deliveries: [])))
            }
            var details: [EventDetail] = []
            for (seq, event) in events {
                var event = event
                event.deliveries = try await Self.deliveryDetails(connection, eventSeq: seq, logger: logger)
                details.append(event)
            }
            return details
        }
    }

    private static func deliveryDetails(_ connection: PostgresConnection, eventSeq: Int64, logger: Logger) async throws -> [DeliveryDetail] {
        let rows = try await connection.query("""
            SELECT id, handler, state, round, attempts, next_attempt_at, finished_at
            FROM delivery WHERE event_seq = \(eventSeq) ORDER BY handler
            """, logger: logger)
        var deliveries: [DeliveryDetail] = []
        for try await (id, handler, stateText, round, attempts, nextAttemptAt, finishedAt)
            in rows.decode((Int64, String, String, Int, Int, Int64, Int64?).self)
        {
            let state = DeliveryState(rawValue: stateText) ?? .pending
            deliveries.append(DeliveryDetail(
                id: id, handler: handler, state: state, round: round, attempts: attempts,
                nextAttemptAt: state.isFinished || state == .running ? nil : Date(storeMilliseconds: nextAttemptAt),
                finishedAt: finishedAt.map(Date.init(storeMilliseconds:)), history: [], replies: []))
        }
        for index in deliveries.indices {
            deliveries[index].replies = try await replyRecords(connection, deliveryID: deliveries[index].id, logger: logger)
            let attempts = try await connection.query("""
                SELECT round, number, started_at, duration_ms, outcome, exit_status, signal, stdout, stderr_lines
                FROM attempt WHERE delivery_id = \(deliveries[index].id) ORDER BY round, number
                """, logger: logger)
            for try await (round, number, startedAt, duration, outcome, exitStatus, signal, stdout, stderrLines)
                in attempts.decode((Int, Int, Int64, Int64?, String, Int?, Int?, ByteBuffer, Int).self)
            {
                deliveries[index].history.append(AttemptRecord(
                    round: round, number: number, startedAt: Date(storeMilliseconds: startedAt),
                    duration: duration.map(Duration.milliseconds), outcome: outcome,
                    exitStatus: exitStatus.map(Int32.init), signal: signal.map(Int32.init),
                    stdout: Array(stdout.readableBytesView), stderrLines: stderrLines))
            }
        }
        return deliveries
    }

    public func deliveryCounts() async throws -> [DeliveryState: Int] {
        let logger = logger
        return try await transaction { connection in
            var counts: [DeliveryState: Int] = [:]
            let rows = try await connection.query("SELECT state, COUNT(*) FROM delivery GROUP BY state", logger: logger)
            for try await (state, count) in rows.decode((String, Int).self) {
                if let state = DeliveryState(rawValue: state) { counts[state] = count }
            }
            return counts
        }
    }

    public func stats(now: Date) async throws -> [TenantStats] {
        let logger = logger
        return try await transaction { connection in
            var stats: [String: TenantStats] = [:]
            func update(_ tenant: String, _ change: (inout TenantStats) -> Void) {
                change(&stats[tenant, default: TenantStats(tenant: tenant, deliveries: [:], oldestPendingAge: nil, outcomesLastHour: [:])])
            }
            let counts = try await connection.query("SELECT tenant, state, COUNT(*) FROM delivery GROUP BY tenant, state", logger: logger)
            for try await (tenant, state, count) in counts.decode((String, String, Int).self) {
                guard let state = DeliveryState(rawValue: state) else { continue }
                update(tenant) { $0.deliveries[state] = count }
            }
            let oldest = try await connection.query("""
                SELECT oldest.tenant, event.stored_at FROM (
                    SELECT tenant, MIN(id) AS id FROM delivery
                    WHERE state IN ('pending', 'retrying') GROUP BY tenant) AS oldest
                JOIN delivery ON delivery.id = oldest.id JOIN event ON event.seq = delivery.event_seq
                """, logger: logger)
            for try await (tenant, storedAt) in oldest.decode((String, Int64).self) {
                let age = Duration.milliseconds(now.storeMilliseconds - storedAt)
                update(tenant) { $0.oldestPendingAge = age }
            }
            let hourAgo = now.addingTimeInterval(-3600).storeMilliseconds
            let outcomes = try await connection.query("""
                SELECT delivery.tenant, attempt.outcome, COUNT(*)
                FROM attempt JOIN delivery ON delivery.id = attempt.delivery_id
                WHERE attempt.started_at >= \(hourAgo) GROUP BY delivery.tenant, attempt.outcome
                """, logger: logger)
            for try await (tenant, outcome, count) in outcomes.decode((String, String, Int).self) {
                update(tenant) { $0.outcomesLastHour[outcome] = count }
            }
            return stats.values.sorted { $0.tenant < $1.tenant }
        }
    }

    // MARK: Writes

    public func replay(ids: [String], now: Date) async throws -> Int {
        var replayed = 0
        let logger = logger
        for chunk in ids.chunked(OperatorBatches.size) {
            let chunk = Array(chunk)
            replayed += try await transaction { connection in
                let rows = try await connection.query("""
                    SELECT delivery.id FROM event JOIN delivery ON delivery.event_seq = event.seq
                    WHERE event.id = ANY(\(chunk)) AND delivery.state IN ('done', 'dead')
                    ORDER BY delivery.id
                    """, logger: logger)
                var deliveryIDs: [Int64] = []
                for try await id in rows.decode(Int64.self) { deliveryIDs.append(id) }
                return try await Self.startNewRound(connection, deliveryIDs: deliveryIDs, now: now, logger: logger)
            }
        }
        try await refreshBacklogCounts()
        return replayed
    }

    public func replay(tenant: String, deadOnly: Bool, now: Date) async throws -> Int {
        let states = deadOnly ? ["dead"] : ["done", "dead"]
        let logger = logger
        let replayed = try await OperatorBatches.afterIDs { afterID in
            try await transaction { connection in
                let rows = try await connection.query("""
                    SELECT id FROM delivery WHERE tenant = \(tenant) AND state = ANY(\(states)) AND id > \(afterID)
                    ORDER BY id LIMIT \(OperatorBatches.size)
                    """, logger: logger)
                var deliveryIDs: [Int64] = []
                for try await id in rows.decode(Int64.self) { deliveryIDs.append(id) }
                _ = try await Self.startNewRound(connection, deliveryIDs: deliveryIDs, now: now, logger: logger)
                return deliveryIDs
            }
        }
        try await refreshBacklogCounts()
        return replayed
    }

    /// Makes finished deliveries pending again in a new round, in id order, holding their lanes'
    /// locks so each lane gets at most one head whatever the nodes do meanwhile.
    private static func startNewRound(
        _ connection: PostgresConnection, deliveryIDs: [Int64], now: Date, logger: Logger
    ) async throws -> Int {
        guard !deliveryIDs.isEmpty else { return 0 }
        let laneRows = try await connection.query("""
            SELECT tenant, handler, contact_key FROM delivery WHERE id = ANY(\(deliveryIDs)) AND contact_key IS NOT NULL
            """, logger: logger)
        var lanes = Set<Int64>()
        for try await (tenant, handler, contactKey) in laneRows.decode((String, String, String).self) {
            lanes.insert(LaneKey.of(tenant: tenant, handler: handler, contactKey: contactKey))
        }
        try await LaneKey.lock(lanes, connection, logger: logger)
        var requeued = 0
        var tenants = Set<String>()
        for id in deliveryIDs {
            // Head when nothing unfinished is ahead in its lane; a delivery without a contact always is.
            let rows = try await connection.query("""
                UPDATE delivery AS d
                SET state = 'pending', round = d.round + 1, attempts = 0, next_attempt_at = \(now.storeMilliseconds),
                    finished_at = NULL,
                    is_head = d.contact_key IS NULL OR NOT EXISTS (
                        SELECT 1 FROM delivery AS other
                        WHERE other.tenant = d.tenant AND other.handler = d.handler AND other.contact_key = d.contact_key
                          AND other.state IN ('pending', 'running', 'retrying'))
                WHERE d.id = \(id) AND d.state IN ('done', 'dead')
                RETURNING d.tenant
                """, logger: logger)
            for try await tenant in rows.decode(String.self) {
                tenants.insert(tenant)
                requeued += 1
            }
        }
        try await notifyWork(tenants, connection, logger: logger)
        return requeued
    }

    public func purgeDead(before: Date) async throws -> Int {
        let logger = logger
        try await transaction { connection in
            try await Self.purgeDeadReplies(connection, before: before.storeMilliseconds, logger: logger)
        }
        return try await OperatorBatches.untilShort {
            try await transaction { connection in
                let rows = try await connection.query("""
                    DELETE FROM delivery WHERE id IN (
                        SELECT id FROM delivery WHERE state = 'dead' AND finished_at < \(before.storeMilliseconds)
                        LIMIT \(OperatorBatches.size))
                    RETURNING event_seq
                    """, logger: logger)
                var seqs: [Int64] = []
                for try await seq in rows.decode(Int64.self) { seqs.append(seq) }
                try await connection.query("""
                    DELETE FROM event WHERE seq = ANY(\(Array(Set(seqs))))
                      AND NOT EXISTS (SELECT 1 FROM delivery WHERE event_seq = event.seq)
                    """, logger: logger)
                return seqs.count
            }
        }
    }

    public func prune(doneOlderThan cutoff: Date) async throws -> Int {
        let logger = logger
        return try await OperatorBatches.untilShort {
            try await transaction { connection in
                let rows = try await connection.query("""
                    DELETE FROM event WHERE seq IN (
                        SELECT seq FROM event
                        WHERE stored_at < \(cutoff.storeMilliseconds) AND NOT EXISTS (
                            SELECT 1 FROM delivery
                            WHERE event_seq = event.seq AND (state <> 'done' OR finished_at >= \(cutoff.storeMilliseconds)))
                          AND NOT \(unescaped: Self.replyKeepsEvent)
                        ORDER BY stored_at LIMIT \(OperatorBatches.size))
                    RETURNING seq
                    """, logger: logger)
                var count = 0
                for try await _ in rows.decode(Int64.self) { count += 1 }
                return count
            }
        }
    }
}

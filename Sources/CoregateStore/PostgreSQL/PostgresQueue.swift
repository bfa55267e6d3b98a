import Foundation
import Logging
import NIOCore
import PostgresNIO

extension DeliveryPool {
    /// ``handlerCondition`` for PostgreSQL's binds: the one handler, or the handlers left out.
    var postgresHandlers: (only: String?, excluded: [String]) {
        switch handlers {
        case .all: (nil, [])
        case .only(let handler): (handler, [])
        case .allBut(let names): (nil, names)
        }
    }
}

/// The dispatcher's side of ``PostgresStore``: settle, claims with leases, due dates, recovery,
/// and direct mode's memory. The SQL mirrors SQLite's (``Claiming``, ``Lanes``); what differs is
/// said where it does.
extension PostgresStore {
    public func settle(_ settlements: [Settlement], claims: [DeliveryPool: Int], now: Date) async throws -> SettleResult {
        guard !settlements.isEmpty || claims.contains(where: { $0.value > 0 }) else { return SettleResult() }
        let lease = options.lease, logger = logger
        let (result, finished) = try await transaction(bounded: false) { connection in
            try await Self.settle(connection, settlements, claims: claims, now: now.storeMilliseconds, lease: lease, logger: logger)
        }
        backlogCounts.add(finished.mapValues { -$0 })
        return result
    }

    public func settleBlocking(_ settlements: [Settlement], claims: [DeliveryPool: Int], now: Date) throws -> SettleResult {
        try Self.blocking { try await self.settle(settlements, claims: claims, now: now) }
    }

    private static func settle(
        _ connection: PostgresConnection, _ settlements: [Settlement], claims: [DeliveryPool: Int], now: Int64, lease: Duration,
        logger: Logger
    ) async throws -> (SettleResult, finished: [String: Int]) {
        var lanes = Set<Int64>()
        for case .attempted(let claim, _, let completion) in settlements where completion.isFinished {
            if let contactKey = claim.contactKey {
                lanes.insert(LaneKey.of(tenant: claim.tenant, handler: claim.handler, contactKey: contactKey))
            }
        }
        try await LaneKey.lock(lanes, connection, logger: logger)
        var result = SettleResult()
        var finished: [String: Int] = [:]
        for settlement in settlements {
            if try await record(settlement, connection, now: now, logger: logger) {
                if case .attempted(let claim, _, let completion) = settlement, completion.isFinished {
                    finished[claim.tenant, default: 0] += 1
                }
            } else {
                result.notRunning.append(settlement.claim)
            }
        }
        for (pool, limit) in claims.sorted(by: { $0.key.description < $1.key.description }) where limit > 0 {
            result.claims[pool] = try await claim(
                connection, pool: pool, limit: limit, now: now, leaseUntil: now + lease.milliseconds, logger: logger)
        }
        return (result, finished)
    }

    /// False when the delivery is no longer running in this attempt: replayed, purged, or taken
    /// by another node after the lease ran out.
    private static func record(_ settlement: Settlement, _ connection: PostgresConnection, now: Int64, logger: Logger) async throws -> Bool {
        let claim = settlement.claim
        switch settlement {
        case .deferred(_, let until):
            let rows = try await connection.query("""
                UPDATE delivery
                SET state = CASE WHEN attempts > 1 THEN 'retrying' ELSE 'pending' END,
                    attempts = attempts - 1, next_attempt_at = \(until.storeMilliseconds), claimed_at = NULL, lease_until = NULL
                WHERE id = \(claim.deliveryID) AND state = 'running' AND round = \(claim.round) AND attempts = \(claim.attempt)
                RETURNING id
                """, logger: logger)
            return try await rows.decode(Int64.self).first { _ in true } != nil
        case .attempted(_, let report, let completion):
            let (state, nextAttemptAt, finishedAt): (DeliveryState, Int64, Int64?) =
                switch completion {
                case .done: (.done, now, now)
                case .dead: (.dead, now, now)
                case .retrying(let at): (.retrying, at.storeMilliseconds, nil)
                }
            let rows = try await connection.query("""
                UPDATE delivery SET state = \(state.rawValue), next_attempt_at = \(nextAttemptAt), finished_at = \(finishedAt),
                                    claimed_at = NULL, lease_until = NULL
                WHERE id = \(claim.deliveryID) AND state = 'running' AND round = \(claim.round) AND attempts = \(claim.attempt)
                RETURNING id
                """, logger: logger)
            guard try await rows.decode(Int64.self).first(where: { _ in true }) != nil else { return false }
            try await recordAttempt(connection, deliveryID: claim.deliveryID, round: claim.round, number: claim.attempt, report: report, logger: logger)
            if state == .done {
                try await insertReplies(
                    connection, deliveryID: claim.deliveryID, round: claim.round, number: claim.attempt, tenant: claim.tenant,
                    replies: report.replies, now: now, logger: logger)
            }
            if state.isFinished, let contactKey = claim.contactKey {
                try await promoteNextHead(connection, tenant: claim.tenant, handler: claim.handler, contactKey: contactKey, logger: logger)
            }
            return true
        }
    }

    static func recordAttempt(
        _ connection: PostgresConnection, deliveryID: Int64, round: Int, number: Int, report: HandlerResult, logger: Logger
    ) async throws {
        try await connection.query("""
            INSERT INTO attempt (delivery_id, round, number, started_at, duration_ms, outcome,
                                 exit_status, signal, stdout, stderr_lines)
            VALUES (\(deliveryID), \(round), \(number), \(report.startedAt.storeMilliseconds), \(report.duration.milliseconds),
                    \(report.outcome.recordedName), \(report.outcome.exitStatus.map(Int.init)), \(report.outcome.signal.map(Int.init)),
                    \(ByteBuffer(bytes: report.recordedOutput)), \(report.standardErrorLineCount))
            """, logger: logger)
    }

    /// See ``Lanes/promoteNextHead(_:tenant:handler:contactKey:)``; the caller holds the lane's lock.
    static func promoteNextHead(
        _ connection: PostgresConnection, tenant: String, handler: String, contactKey: String, logger: Logger
    ) async throws {
        try await connection.query("""
            UPDATE delivery SET is_head = TRUE WHERE id = (
                SELECT id FROM delivery
                WHERE tenant = \(tenant) AND handler = \(handler) AND contact_key = \(contactKey)
                  AND state IN ('pending', 'running', 'retrying')
                ORDER BY id LIMIT 1)
            """, logger: logger)
    }

    /// Takes back the tenant's deliveries whose lease ran out, then claims up to `limit` due
    /// heads, oldest due first, skipping rows another node is claiming right now.
    private static func claim(
        _ connection: PostgresConnection, pool: DeliveryPool, limit: Int, now: Int64, leaseUntil: Int64, logger: Logger
    ) async throws -> TenantClaims {
        let tenant = pool.tenant
        let (only, excluded) = pool.postgresHandlers
        _ = try await recoverExpired(connection, tenant: tenant, now: now, logger: logger)
        let rows = try await connection.query("""
            WITH due AS (
                SELECT id, next_attempt_at FROM delivery
                WHERE tenant = \(tenant) AND is_head AND state IN ('pending', 'retrying') AND next_attempt_at <= \(now)
                  AND (\(only)::text IS NULL OR handler = \(only)) AND NOT (handler = ANY(\(excluded)))
                ORDER BY next_attempt_at, id LIMIT \(limit)
                FOR UPDATE SKIP LOCKED)
            UPDATE delivery AS d
            SET state = 'running', attempts = d.attempts + 1, claimed_at = \(now), lease_until = \(leaseUntil)
            FROM due, event AS e
            WHERE d.id = due.id AND e.seq = d.event_seq
            RETURNING d.id, e.id, e.type, d.handler, d.contact_key, d.attempts, d.round, e.json, due.next_attempt_at
            """, logger: logger)
        var claimed: [(due: Int64, claim: Claim)] = []
        for try await (id, eventID, eventType, handler, contactKey, attempts, round, json, due)
            in rows.decode((Int64, String, String, String, String?, Int, Int, ByteBuffer, Int64).self)
        {
            claimed.append((due, Claim(
                deliveryID: id, eventID: eventID, eventType: eventType, tenant: tenant, handler: handler,
                contactKey: contactKey, attempt: attempts, round: round, json: Array(json.readableBytesView))))
        }
        let claims = claimed.sorted { ($0.due, $0.claim.deliveryID) < ($1.due, $1.claim.deliveryID) }.map(\.claim)
        guard claims.count < limit else { return TenantClaims(claims: claims, exhausted: false, nextDue: nil) }
        return TenantClaims(
            claims: claims, exhausted: true, nextDue: try await nextDue(connection, pool: pool, leases: false, logger: logger))
    }

    /// Running deliveries whose lease ran out go back to `retrying`, due now, their cut-short
    /// attempt recorded as `interrupted` (and counted, as after a crash on SQLite). Rows another
    /// node is taking back at this moment are skipped. `tenant` nil: every tenant.
    private static func recoverExpired(_ connection: PostgresConnection, tenant: String?, now: Int64, logger: Logger) async throws -> Int {
        let rows = try await connection.query("""
            WITH expired AS (
                SELECT id FROM delivery
                WHERE (tenant = \(tenant) OR \(tenant)::text IS NULL) AND state = 'running' AND lease_until <= \(now)
                FOR UPDATE SKIP LOCKED),
            recorded AS (
                INSERT INTO attempt (delivery_id, round, number, started_at, duration_ms, outcome,
                                     exit_status, signal, stdout, stderr_lines)
                SELECT d.id, d.round, d.attempts, d.claimed_at, NULL, \(HandlerOutcome.interruptedName), NULL, NULL, ''::bytea, 0
                FROM delivery AS d JOIN expired USING (id)
                ON CONFLICT DO NOTHING)
            UPDATE delivery AS d SET state = 'retrying', next_attempt_at = \(now), claimed_at = NULL, lease_until = NULL
            FROM expired WHERE d.id = expired.id
            RETURNING d.id
            """, logger: logger)
        var count = 0
        for try await _ in rows.decode(Int64.self) { count += 1 }
        return count
    }

    /// When the tenant's earliest waiting head becomes due; with `leases`, also when a running
    /// delivery's lease runs out (then any node may take it back). Nil when none waits.
    ///
    /// A claim's answer leaves leases out: the claimer's own deliveries are among them, and it
    /// would wake for each. The dispatcher's periodic look at the queue (``dueDates(tenants:)``)
    /// takes them in, so a dead node's deliveries are taken over within that period of the lease.
    private static func nextDue(_ connection: PostgresConnection, pool: DeliveryPool, leases: Bool, logger: Logger) async throws -> Date? {
        let tenant = pool.tenant
        let (only, excluded) = pool.postgresHandlers
        let rows = try await connection.query("""
            SELECT LEAST(
                (SELECT MIN(next_attempt_at) FROM delivery
                 WHERE tenant = \(tenant) AND is_head AND state IN ('pending', 'retrying')
                   AND (\(only)::text IS NULL OR handler = \(only)) AND NOT (handler = ANY(\(excluded)))),
                (SELECT MIN(lease_until) FROM delivery WHERE \(leases) AND tenant = \(tenant) AND state = 'running'
                   AND (\(only)::text IS NULL OR handler = \(only)) AND NOT (handler = ANY(\(excluded)))))
            """, logger: logger)
        for try await due in rows.decode(Int64?.self) { return due.map(Date.init(storeMilliseconds:)) }
        return nil
    }

    public func dueDates(tenants: [String]) async throws -> [String: Date] {
        let dates = try await dueDates(pools: tenants.map { DeliveryPool(tenant: $0) })
        return Dictionary(uniqueKeysWithValues: dates.map { ($0.key.tenant, $0.value) })
    }

    private func dueDates(pools: [DeliveryPool]) async throws -> [DeliveryPool: Date] {
        let logger = logger
        return try await transaction(bounded: false) { connection in
            var dates: [DeliveryPool: Date] = [:]
            for pool in pools {
                dates[pool] = try await Self.nextDue(connection, pool: pool, leases: true, logger: logger)
            }
            return dates
        }
    }

    public func dueDatesBlocking(pools: [DeliveryPool]) throws -> [DeliveryPool: Date] {
        try Self.blocking { try await self.dueDates(pools: pools) }
    }

    /// Only deliveries whose lease ran out: the others may be running on a live node. A node that
    /// restarts after a crash finds its own deliveries again once their leases end.
    public func recoverInterruptedDeliveries(now: Date) async throws -> Int {
        let logger = logger
        return try await transaction { connection in
            try await Self.recoverExpired(connection, tenant: nil, now: now.storeMilliseconds, logger: logger)
        }
    }

    // MARK: Direct mode

    public func directSucceeded(tenant: String, eventIDs: [String]) async throws -> [String: Set<String>] {
        guard !eventIDs.isEmpty else { return [:] }
        let ids = Array(Set(eventIDs)), logger = logger
        return try await transaction { connection in
            let rows = try await connection.query("""
                SELECT event.id, delivery.handler FROM event JOIN delivery ON delivery.event_seq = event.seq
                WHERE event.tenant = \(tenant) AND event.id = ANY(\(ids)) AND delivery.state = 'done'
                """, logger: logger)
            var succeeded: [String: Set<String>] = [:]
            for try await (id, handler) in rows.decode((String, String).self) { succeeded[id, default: []].insert(handler) }
            return succeeded
        }
    }

    public func recordDirectSuccesses(_ successes: [DirectSuccess], now: Date) async throws {
        guard !successes.isEmpty else { return }
        let now = now.storeMilliseconds, logger = logger
        try await transaction { connection in
            for success in successes.sorted(by: { ($0.event.tenant, $0.event.id) < ($1.event.tenant, $1.event.id) }) {
                let event = success.event
                try await connection.query("""
                    INSERT INTO event (tenant, id, type, contact_key, stored_at, json)
                    VALUES (\(event.tenant), \(event.id), \(event.type), \(event.contactKey), \(now), \(ByteBuffer(bytes: event.json)))
                    ON CONFLICT (id, tenant) DO NOTHING
                    """, logger: logger)
                let rows = try await connection.query("""
                    INSERT INTO delivery (event_seq, tenant, handler, contact_key, state, is_head, attempts,
                                          next_attempt_at, finished_at)
                    SELECT seq, tenant, \(success.handler), contact_key, 'done', FALSE, 1, \(now), \(now)
                    FROM event WHERE tenant = \(event.tenant) AND id = \(event.id)
                    ON CONFLICT (event_seq, handler) DO NOTHING
                    RETURNING id
                    """, logger: logger)
                // A success already recorded (two retries raced) inserts nothing and returns no id.
                guard let deliveryID = try await rows.decode(Int64.self).first(where: { _ in true }) else { continue }
                try await Self.recordAttempt(connection, deliveryID: deliveryID, round: 1, number: 1, report: success.report, logger: logger)
                try await Self.insertReplies(
                    connection, deliveryID: deliveryID, round: 1, number: 1, tenant: event.tenant,
                    replies: success.report.replies, now: now, logger: logger)
            }
        }
    }
}

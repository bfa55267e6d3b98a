import Foundation
import GRDB

/// The operator's writes (CLI `replay`, `purge`) and retention, in ``OperatorBatches`` (the busy
/// timeout covers the service's wait for one batch).
extension SQLiteStore {
    /// Queues the finished (done or dead) deliveries of these events again, and returns how many.
    /// An id names the event in every tenant that has one with that id. Unfinished deliveries are
    /// already queued and left alone.
    ///
    /// A replay starts a new *round*: attempts count from 1 again (`COREGATE_ATTEMPT=1`, and the
    /// round gets the full `max_attempts`), while earlier rounds' attempts stay in the history.
    /// The delivery waits behind whatever its lane has unfinished, and goes first when the lane
    /// is free.
    @discardableResult
    public func replay(ids: [String], now: Date) async throws -> Int {
        var replayed = 0
        for chunk in ids.chunked(OperatorBatches.size) {
            replayed += try await write { db in
                let deliveryIDs = try Int64.fetchAll(db, sql: """
                    SELECT delivery.id FROM event JOIN delivery ON delivery.event_seq = event.seq
                    WHERE event.id IN (\(databaseQuestionMarks(count: chunk.count)))
                      AND delivery.state IN ('done', 'dead')
                    ORDER BY delivery.id
                    """, arguments: StatementArguments(Array(chunk)))
                return try Self.startNewRound(db, deliveryIDs: deliveryIDs, now: now)
            }
        }
        try await refreshBacklogCounts()
        return replayed
    }

    /// Queues a tenant's dead deliveries again (`deadOnly`), or every finished one (done too,
    /// which re-delivers the tenant's retained history). Rounds as in ``replay(ids:now:)``.
    @discardableResult
    public func replay(tenant: String, deadOnly: Bool, now: Date) async throws -> Int {
        let states = deadOnly ? "state = 'dead'" : "state IN ('done', 'dead')"
        let replayed = try await OperatorBatches.afterIDs { afterID in
            try await write { db in
                let deliveryIDs = try Int64.fetchAll(db, sql: """
                    SELECT id FROM delivery WHERE tenant = ? AND \(states) AND id > ? ORDER BY id LIMIT ?
                    """, arguments: [tenant, afterID, OperatorBatches.size])
                _ = try Self.startNewRound(db, deliveryIDs: deliveryIDs, now: now)
                return deliveryIDs
            }
        }
        try await refreshBacklogCounts()
        return replayed
    }

    /// Deletes dead deliveries that died before `before`, with their attempts, and the events
    /// left without any delivery; and dead reply actions that died before it. Returns how many
    /// deliveries were deleted.
    @discardableResult
    public func purgeDead(before: Date) async throws -> Int {
        _ = try await write { try ReplySQL.purgeDead($0, before: before.storeMilliseconds) }
        return try await OperatorBatches.untilShort {
            try await write { db in
                let eventSeqs = try Int64.fetchAll(db, sql: """
                    DELETE FROM delivery WHERE id IN (
                        SELECT id FROM delivery WHERE state = 'dead' AND finished_at < ? LIMIT ?)
                    RETURNING event_seq
                    """, arguments: [before.storeMilliseconds, OperatorBatches.size])
                let deleteIfOrphan = try db.cachedStatement(sql: """
                    DELETE FROM event WHERE seq = ?1 AND NOT EXISTS (SELECT 1 FROM delivery WHERE event_seq = ?1)
                    """)
                for seq in Set(eventSeqs) {
                    try deleteIfOrphan.execute(arguments: [seq])
                }
                return eventSeqs.count
            }
        }
    }

    /// Retention: deletes events stored before `doneOlderThan` whose deliveries are all done, and
    /// finished before it too (events no handler took count as done), with their deliveries and
    /// attempts. Dead letters, and events with an unsent or dead reply action, are kept. Returns
    /// how many events were deleted.
    ///
    /// A pruned event's id is forgotten: a redelivery after the retention window is stored anew.
    @discardableResult
    public func prune(doneOlderThan cutoff: Date) async throws -> Int {
        try await OperatorBatches.untilShort {
            try await write { db in
                try db.execute(sql: """
                    DELETE FROM event WHERE seq IN (
                        SELECT seq FROM event
                        WHERE stored_at < ?1 AND NOT EXISTS (
                            SELECT 1 FROM delivery
                            WHERE event_seq = event.seq AND (state <> 'done' OR finished_at >= ?1))
                          AND NOT \(ReplySQL.keepsEvent)
                        ORDER BY stored_at LIMIT ?2)
                    """, arguments: [cutoff.storeMilliseconds, OperatorBatches.size])
                return db.changesCount
            }
        }
    }

    /// Makes finished deliveries pending again in a new round, in id order so that each lane
    /// gets at most one head.
    private static func startNewRound(_ db: Database, deliveryIDs: [Int64], now: Date) throws -> Int {
        let lane = try db.cachedStatement(sql: """
            SELECT tenant, handler, contact_key, state FROM delivery WHERE id = ? AND state IN ('done', 'dead')
            """)
        let requeue = try db.cachedStatement(sql: """
            UPDATE delivery SET state = 'pending', round = round + 1, attempts = 0, is_head = ?,
                                next_attempt_at = ?, finished_at = NULL
            WHERE id = ?
            """)
        var requeued = 0
        var counts = DeliveryCountChanges()
        for id in deliveryIDs {
            guard let row = try Row.fetchOne(lane, arguments: [id]) else { continue }
            let isHead = try Lanes.isFree(
                db, tenant: row["tenant"], handler: row["handler"], contactKey: row["contact_key"])
            try requeue.execute(arguments: [isHead, now.storeMilliseconds, id])
            counts.move(tenant: row["tenant"], from: DeliveryState(rawValue: row["state"]), to: .pending)
            requeued += 1
        }
        try counts.write(to: db)
        return requeued
    }
}

extension Array {
    func chunked(_ size: Int) -> [ArraySlice<Element>] {
        stride(from: 0, to: count, by: size).map { self[$0..<Swift.min($0 + size, count)] }
    }
}

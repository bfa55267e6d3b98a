import Foundation
import GRDB

/// Direct mode keeps no queue, but it remembers which handlers already succeeded on which event,
/// so the sender's retry of a request (the Coreapp retries until it sees `200`) runs only the
/// handlers that did not (SPEC §8). A success is stored as the event with a `done` delivery and
/// its attempt, as the queue stores one: `coregate events` shows it, and retention prunes it.
extension SQLiteStore {
    /// Read on the calling task's thread, not through a hop to a reader's queue and back: one
    /// indexed lookup per event in a WAL file, which never waits for the writer. The hop cost
    /// direct mode about a fifth of the gateway's CPU per request and three context switches.
    public func directSucceeded(tenant: String, eventIDs: [String]) async throws -> [String: Set<String>] {
        try directSucceededBlocking(tenant: tenant, eventIDs: eventIDs)
    }

    private func directSucceededBlocking(tenant: String, eventIDs: [String]) throws -> [String: Set<String>] {
        guard !eventIDs.isEmpty else { return [:] }
        // Without a transaction around it: each event's lookup is one statement, a consistent read
        // of its own, and the events of a request need no common snapshot. A BEGIN and a COMMIT
        // cost more than the lookup.
        return try pool.unsafeRead { db in
            let statement = try db.cachedStatement(sql: """
                SELECT delivery.handler FROM event JOIN delivery ON delivery.event_seq = event.seq
                WHERE event.tenant = ? AND event.id = ? AND delivery.state = 'done'
                """)
            var succeeded: [String: Set<String>] = [:]
            for id in Set(eventIDs) {
                let handlers = try String.fetchAll(statement, arguments: [tenant, id])
                if !handlers.isEmpty { succeeded[id] = Set(handlers) }
            }
            return succeeded
        }
    }

    public func recordDirectSuccesses(_ successes: [DirectSuccess], now: Date) async throws {
        guard !successes.isEmpty else { return }
        let now = now.storeMilliseconds
        try await writeWithoutFsync { db in
            var counts = DeliveryCountChanges()
            for success in successes {
                try Self.recordDirectSuccess(db, success, now: now, counts: &counts)
            }
            try counts.write(to: db)
        }
    }

    /// No RETURNING: SQLite runs such a statement through a temporary table of its own, which
    /// cost more than the insert; the row id of an insert that happened is at hand.
    private static func recordDirectSuccess(_ db: Database, _ success: DirectSuccess, now: Int64, counts: inout DeliveryCountChanges) throws {
        let event = success.event
        try db.cachedStatement(sql: """
            INSERT INTO event (tenant, id, type, contact_key, stored_at, json) VALUES (?, ?, ?, ?, ?, ?)
            ON CONFLICT (id, tenant) DO NOTHING
            """).execute(arguments: [event.tenant, event.id, event.type, event.contactKey, now, Data(event.json)])
        // Another handler's success, or an earlier try of the request, stored the event already.
        let seq = db.changesCount == 1 ? db.lastInsertedRowID : try Int64.fetchOne(
            db.cachedStatement(sql: "SELECT seq FROM event WHERE tenant = ? AND id = ?"), arguments: [event.tenant, event.id])
        guard let seq else { return }
        try db.cachedStatement(sql: """
            INSERT INTO delivery (event_seq, tenant, handler, contact_key, state, is_head, attempts,
                                  next_attempt_at, finished_at)
            VALUES (?, ?, ?, ?, 'done', 0, 1, ?, ?)
            ON CONFLICT (event_seq, handler) DO NOTHING
            """).execute(arguments: [seq, event.tenant, success.handler, event.contactKey, now, now])
        // A success already recorded (two retries raced) inserts nothing.
        guard db.changesCount == 1 else { return }
        let deliveryID = db.lastInsertedRowID
        counts.move(tenant: event.tenant, from: nil, to: .done)
        try Completion.recordAttempt(db, deliveryID: deliveryID, round: 1, number: 1, report: success.report)
        try ReplySQL.insert(
            db, deliveryID: deliveryID, round: 1, number: 1, tenant: event.tenant, replies: success.report.replies, now: now)
    }
}

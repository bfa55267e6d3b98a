import Foundation
import GRDB

extension SQLiteStore {
    /// Makes deliveries left `running` by a dead process due again, and returns how many.
    ///
    /// The service calls this once at startup, before its dispatcher claims anything; the CLI
    /// never does, because the service may be running them. The cut-short attempt is recorded as
    /// `interrupted` and keeps its number, so the next attempt counts on (at-least-once: the
    /// handler may have done its work before the crash). The delivery stays its lane's head.
    @discardableResult
    public func recoverInterruptedDeliveries(now: Date) async throws -> Int {
        let now = now.storeMilliseconds
        return try await write { db in
            var counts = DeliveryCountChanges()
            for row in try Row.fetchAll(db, sql: """
                SELECT tenant, COUNT(*) FROM delivery \(Self.backlogIndex) WHERE \(Self.running) GROUP BY tenant
                """) {
                counts.move(tenant: row[0], from: .running, to: .retrying, count: row[1])
            }
            try counts.write(to: db)
            try db.execute(sql: """
                INSERT INTO attempt (delivery_id, round, number, started_at, duration_ms, outcome,
                                     exit_status, signal, stdout, stderr_lines)
                SELECT id, round, attempts, claimed_at, NULL, ?, NULL, NULL, x'', 0
                FROM delivery \(Self.backlogIndex) WHERE \(Self.running)
                """, arguments: [HandlerOutcome.interruptedName])
            try db.execute(sql: """
                UPDATE delivery \(Self.backlogIndex) SET state = 'retrying', next_attempt_at = ?, claimed_at = NULL
                WHERE \(Self.running)
                """, arguments: [now])
            return db.changesCount
        }
    }

    /// Running deliveries are unfinished: found in the backlog's index, not the whole table.
    private static let backlogIndex = "INDEXED BY delivery_by_lane"
    private static let running = "\(StateSQL.unfinished) AND state = 'running'"
}

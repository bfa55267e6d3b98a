import Foundation
import GRDB
import Testing
@testable import CoregateStore

@Suite("Migrating a file of an older schema")
struct MigrationTests {
    /// A file as coregate left it before `v3`: written by the v2 schema (its triggers kept the
    /// counts), with a delivery in every state, attempts, a reply action, and lanes with waiting
    /// deliveries behind a running head and a pending one.
    private func makeV2File(in directory: String) throws {
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let queue = try DatabaseQueue(path: directory + "/" + SQLiteStore.fileName)
        try Migrations.migrator.migrate(queue, upTo: "v2 reply actions")
        try queue.write { db in
            try db.execute(sql: """
                INSERT INTO event (tenant, id, type, contact_key, stored_at, json) VALUES
                    ('acme', 'done1', 'message.text', 'A', 1000, x'7b7d'),
                    ('acme', 'dead1', 'message.text', 'B', 1001, x'7b7d'),
                    ('acme', 'run1', 'message.text', 'C', 1002, x'7b7d'),
                    ('acme', 'run2', 'message.text', 'C', 1003, x'7b7d'),
                    ('acme', 'retry1', 'message.text', 'D', 1004, x'7b7d'),
                    ('acme', 'pend1', 'message.text', 'E', 1005, x'7b7d'),
                    ('acme', 'pend2', 'status.read', NULL, 1006, x'7b7d'),
                    ('beta', 'done1', 'message.text', 'A', 1007, x'7b7d');
                INSERT INTO delivery (event_seq, tenant, handler, contact_key, state, is_head, attempts,
                                      next_attempt_at, claimed_at, finished_at)
                    SELECT seq, tenant, 'bot', contact_key,
                           CASE WHEN id LIKE 'done%' THEN 'done' WHEN id = 'dead1' THEN 'dead'
                                WHEN id = 'run1' THEN 'running' WHEN id = 'retry1' THEN 'retrying'
                                ELSE 'pending' END,
                           id <> 'run2',
                           CASE WHEN id = 'dead1' THEN 3 WHEN id IN ('done1', 'run1', 'retry1') THEN 1 ELSE 0 END,
                           1000, CASE WHEN id = 'run1' THEN 1010 END,
                           CASE WHEN id LIKE 'done%' OR id = 'dead1' THEN 1020 END
                    FROM event ORDER BY seq;
                INSERT INTO attempt (delivery_id, round, number, started_at, duration_ms, outcome, exit_status,
                                     signal, stdout, stderr_lines)
                    SELECT d.id, 1, n.number, 1010, 5, CASE WHEN d.state = 'done' THEN 'exit 0' ELSE 'exit 1' END,
                           CASE WHEN d.state = 'done' THEN 0 ELSE 1 END, NULL, x'', 0
                    FROM delivery AS d JOIN (SELECT 1 AS number UNION ALL SELECT 2 UNION ALL SELECT 3) AS n
                      ON n.number <= d.attempts
                    WHERE d.state <> 'running';
                INSERT INTO reply_action (delivery_id, round, number, position, tenant, recipient, kind, body,
                                          state, tries, next_try_at, finished_at)
                    SELECT d.id, 1, 1, 0, 'acme', '15550001111', 'text', x'7b7d', 'sent', 1, 1010, 1011
                    FROM delivery AS d JOIN event AS e ON e.seq = d.event_seq
                    WHERE e.tenant = 'acme' AND e.id = 'done1';
                """)
        }
    }

    /// Counts by state in `delivery_count` and counted from the rows, per tenant.
    private func counts(_ store: SQLiteStore) async throws -> (kept: [String: [String: Int]], rows: [String: [String: Int]]) {
        try await store.pool.read { db in
            func byTenant(_ sql: String) throws -> [String: [String: Int]] {
                try Row.fetchAll(db, sql: sql).reduce(into: [:]) { $0[$1[0], default: [:]][$1[1]] = $1[2] }
            }
            return (try byTenant("SELECT tenant, state, n FROM delivery_count WHERE n > 0"),
                    try byTenant("SELECT tenant, state, COUNT(*) FROM delivery GROUP BY tenant, state"))
        }
    }

    @Test("a v2 file with deliveries in every state migrates, keeps its rows, counts and lanes, and works on")
    func v2FileMigratesAndWorks() async throws {
        // Given a file of the v2 schema
        let directory = TemporaryDirectory()
        try makeV2File(in: directory.path)

        // When this coregate opens it
        let store = try SQLiteStore(directory: directory.path)

        // Then every row, attempt and action is still there, the counts are exact, and neither
        // triggers on insert and update, nor AUTOINCREMENT, nor the running index are left on the
        // delivery rows
        let expected = ["acme": ["done": 1, "dead": 1, "running": 1, "retrying": 1, "pending": 3], "beta": ["done": 1]]
        #expect(try await counts(store) == (expected, expected))
        #expect(store.backlog(tenant: "acme") == 5)
        let done = try #require(try await store.event(id: "done1").first { $0.tenant == "acme" }?.deliveries.first)
        #expect(done.state == .done && done.history.count == 1 && done.replies.map(\.state) == [.sent])
        #expect(try await store.event(id: "dead1").first?.deliveries.first?.history.count == 3)
        let schema = try await store.pool.read { db in
            (try String.fetchAll(db, sql: "SELECT name FROM sqlite_master WHERE type = 'trigger'"),
             try String.fetchAll(db, sql: "SELECT name FROM sqlite_sequence ORDER BY name"),
             try Row.fetchAll(db, sql: "PRAGMA foreign_key_check").count,
             try String.fetchAll(db, sql: "SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'delivery'"))
        }
        #expect(schema.0 == ["delivery_count_delete"])
        #expect(!schema.3.contains("delivery_running"), "v4 dropped the index every claim and settle wrote")
        #expect(!schema.1.contains("event") && !schema.1.contains("delivery"))
        #expect(schema.2 == 0)

        // When the service recovers the running one, new events join the old lanes, a dead
        // letter is replayed, and everything runs to the end
        let later = Date().addingTimeInterval(3600)
        #expect(try await store.recoverInterruptedDeliveries(now: later) == 1)
        _ = try await store.enqueue([makeEvent("new1", contact: "C"), makeEvent("new2", contact: "E")])
        #expect(try await store.replay(ids: ["dead1"], now: later) == 1)
        var order: [String] = []
        while true {
            let claims = try await store.claimAll(now: later)
            if claims.isEmpty { break }
            for claim in claims {
                order.append(claim.eventID)
                _ = try await store.complete(claim, report: report(.succeeded), policy: noDelay, now: later)
            }
        }

        // Then each contact's events ran in arrival order, old before new, and the counts followed
        #expect(order.filter { ["run1", "run2", "new1"].contains($0) } == ["run1", "run2", "new1"])
        #expect(order.filter { ["pend1", "new2"].contains($0) } == ["pend1", "new2"])
        #expect(Set(order) == ["run1", "run2", "new1", "retry1", "pend1", "pend2", "new2", "dead1"])
        let finished = ["acme": ["done": 9], "beta": ["done": 1]]
        #expect(try await counts(store) == (finished, finished))
        #expect(store.backlog(tenant: "acme") == 0)

        // When retention removes every event: the deliveries go by cascade, and still count
        #expect(try await store.prune(doneOlderThan: later.addingTimeInterval(3600)) == 10)
        #expect(try await counts(store) == ([:], [:]))
    }
}

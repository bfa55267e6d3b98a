import Foundation
import GRDB
import Testing
@testable import CoregateStore

@Suite("Schema and durability")
struct SchemaTests {
    @Test("the file is in WAL mode; when power-loss safe, each commit of events or of an operator is fsynced after it",
          arguments: [false, true])
    func durabilitySettings(powerLossSafe: Bool) async throws {
        let directory = TemporaryDirectory()
        let store = try SQLiteStore(directory: directory.path, options: .init(powerLossSafe: powerLossSafe))
        let (journal, sync) = try await store.pool.write { db in
            (try String.fetchOne(db, sql: "PRAGMA journal_mode"), try Int.fetchOne(db, sql: "PRAGMA synchronous"))
        }
        // NORMAL (1): the fsync that FULL would make inside COMMIT comes after it, outside the lock.
        #expect(journal == "wal" && sync == 1)
        #expect(FileManager.default.fileExists(atPath: directory.path + "/coregate.sqlite"))
        _ = try await store.enqueue([makeEvent("e1")])
        _ = try await store.enqueue([makeEvent("e2")])
        _ = try await store.replay(tenant: "acme", deadOnly: true)
        #expect(store.walSync?.syncs == (powerLossSafe ? 3 : nil))
    }

    @Test("the schema refuses a second delivery per handler, an unknown state, and a done row without finish time")
    func invariantsLiveInTheSchema() async throws {
        // Given one stored event with one delivery
        let directory = TemporaryDirectory()
        let store = try SQLiteStore(directory: directory.path)
        _ = try await store.enqueue([makeEvent("e")])

        // Then writes that break an invariant fail
        let badWrites = [
            "INSERT INTO delivery (event_seq, tenant, handler, state, is_head, next_attempt_at) SELECT seq, tenant, 'bot', 'pending', 1, 0 FROM event",
            "UPDATE delivery SET state = 'lost'",
            "UPDATE delivery SET state = 'done'",
            "UPDATE delivery SET state = 'running'",
            "INSERT INTO event (tenant, id, type, stored_at, json) VALUES ('acme', 'e', 'x', 0, x'')",
        ]
        for sql in badWrites {
            await #expect(throws: DatabaseError.self, "\(sql)") {
                try await store.pool.write { try $0.execute(sql: sql) }
            }
        }
    }

    @Test("reopening a migrated file keeps its data, and a file from a newer coregate is refused")
    func migrations() async throws {
        // Given a file with an event, then a migration this binary does not know
        let directory = TemporaryDirectory()
        do {
            let store = try SQLiteStore(directory: directory.path)
            _ = try await store.enqueue([makeEvent("e")])
        }
        #expect(try await SQLiteStore(directory: directory.path).event(id: "e").count == 1)
        let pool = try DatabasePool(path: directory.path + "/" + SQLiteStore.fileName)
        try await pool.write { try $0.execute(sql: "INSERT INTO grdb_migrations VALUES ('v99 from the future')") }

        // Then opening it fails
        #expect(throws: StoreError.schemaTooNew) { try SQLiteStore(directory: directory.path) }
    }

    @Test("the statements run per event and per claim read an index, never the table", arguments: [
        (Lanes.unfinishedInLaneSQL, ["SEARCH delivery USING INDEX delivery_by_lane (tenant=? AND handler=? AND contact_key=?)"]),
        (Lanes.promoteNextHeadSQL, [
            "SEARCH delivery USING INTEGER PRIMARY KEY (rowid=?)", "SCALAR SUBQUERY 1",
            "SEARCH delivery USING INDEX delivery_by_lane (tenant=? AND handler=? AND contact_key=?)",
        ]),
        (Claiming.dueHeadsSQL(handlerCondition: ""), [
            "SEARCH d USING INDEX delivery_due (tenant=? AND next_attempt_at<?)", "SEARCH e USING INTEGER PRIMARY KEY (rowid=?)"]),
        (Claiming.dueHeadsSQL(handlerCondition: DeliveryPool(tenant: "t", handlers: .only("h")).handlerCondition.sql),
         ["SEARCH d USING INDEX delivery_due (tenant=? AND next_attempt_at<?)", "SEARCH e USING INTEGER PRIMARY KEY (rowid=?)"]),
        (Claiming.dueHeadsSQL(handlerCondition: DeliveryPool(tenant: "t", handlers: .allBut(["a", "b"])).handlerCondition.sql),
         ["SEARCH d USING INDEX delivery_due (tenant=? AND next_attempt_at<?)", "SEARCH e USING INTEGER PRIMARY KEY (rowid=?)"]),
    ])
    func hotStatementsUseIndexes(sql: String, plan: [String]) async throws {
        let directory = TemporaryDirectory()
        let store = try SQLiteStore(directory: directory.path)
        let details = try await store.pool.read { db in
            let arguments = StatementArguments(Array(repeating: 0, count: sql.filter { $0 == "?" }.count))
            return try Row.fetchAll(db, sql: "EXPLAIN QUERY PLAN " + sql, arguments: arguments).map { $0["detail"] as String }
        }
        #expect(details == plan)
    }
}

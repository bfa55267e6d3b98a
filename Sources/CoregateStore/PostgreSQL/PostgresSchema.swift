import Logging
import PostgresNIO

/// The PostgreSQL schema, as a list of migrations: the same tables and invariants as SQLite's
/// (``Migrations``), in PostgreSQL's types, plus what several nodes need:
/// - `delivery.lease_until`: a running delivery belongs to its claimer until then; after it,
///   another node may take it again (its runner is presumed dead);
/// - no trigger-kept counts: every ingest would update the same count rows, and the nodes would
///   queue behind each other's row locks. Counts are `COUNT(*)` over partial indexes instead.
///
/// A shipped migration is never edited; the schema changes by appending one.
enum PostgresSchema {
    /// Any fixed number: the key of the advisory lock that lets one node at a time migrate.
    static let migrationLock: Int64 = 0x636f_7265_6761_7465 // "coregate"

    static let migrations: [(name: String, statements: [String])] = [
        ("v1 events, deliveries, attempts", [
            """
            CREATE TABLE event (
                seq BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
                tenant TEXT NOT NULL,
                id TEXT NOT NULL,
                type TEXT NOT NULL,
                contact_key TEXT,
                stored_at BIGINT NOT NULL,
                json BYTEA NOT NULL,
                UNIQUE (id, tenant)
            )
            """,
            "CREATE INDEX event_by_stored_at ON event (stored_at)",
            """
            CREATE TABLE delivery (
                id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
                event_seq BIGINT NOT NULL REFERENCES event (seq) ON DELETE CASCADE,
                tenant TEXT NOT NULL,
                handler TEXT NOT NULL,
                contact_key TEXT,
                state TEXT NOT NULL CHECK (state IN ('pending', 'running', 'retrying', 'done', 'dead')),
                is_head BOOLEAN NOT NULL,
                round BIGINT NOT NULL DEFAULT 1 CHECK (round >= 1),
                attempts BIGINT NOT NULL DEFAULT 0 CHECK (attempts >= 0),
                next_attempt_at BIGINT NOT NULL,
                claimed_at BIGINT,
                lease_until BIGINT,
                finished_at BIGINT,
                CHECK ((state = 'running') = (claimed_at IS NOT NULL AND lease_until IS NOT NULL)),
                CHECK ((finished_at IS NOT NULL) = (state IN ('done', 'dead'))),
                UNIQUE (event_seq, handler)
            )
            """,
            """
            CREATE INDEX delivery_by_lane ON delivery (tenant, handler, contact_key, id)
                WHERE state IN ('pending', 'running', 'retrying')
            """,
            """
            CREATE INDEX delivery_due ON delivery (tenant, next_attempt_at, id)
                WHERE is_head AND state IN ('pending', 'retrying')
            """,
            "CREATE INDEX delivery_lease ON delivery (tenant, lease_until) WHERE state = 'running'",
            "CREATE INDEX delivery_dead ON delivery (tenant, finished_at) WHERE state = 'dead'",
            """
            CREATE TABLE attempt (
                delivery_id BIGINT NOT NULL REFERENCES delivery (id) ON DELETE CASCADE,
                round BIGINT NOT NULL CHECK (round >= 1),
                number BIGINT NOT NULL CHECK (number >= 1),
                started_at BIGINT NOT NULL,
                duration_ms BIGINT CHECK (duration_ms >= 0),
                outcome TEXT NOT NULL,
                exit_status BIGINT,
                signal BIGINT,
                stdout BYTEA NOT NULL,
                stderr_lines BIGINT NOT NULL CHECK (stderr_lines >= 0),
                PRIMARY KEY (delivery_id, round, number)
            )
            """,
            "CREATE INDEX attempt_by_started_at ON attempt (started_at)",
        ]),
        ("v2 reply actions", PostgresStore.replyMigration),
    ]

    /// Runs the migrations this database lacks, in one transaction under an advisory lock, so two
    /// nodes that start at once migrate one after the other, and the second finds nothing to do.
    /// Throws ``StoreError/schemaTooNew`` when a newer coregate migrated the database.
    static func migrate(_ client: PostgresClient, logger: Logger) async throws {
        try await PostgresStore.transaction(client, logger: logger) { connection in
            try await connection.query("SELECT pg_advisory_xact_lock(\(migrationLock))", logger: logger)
            try await connection.query(
                "CREATE TABLE IF NOT EXISTS coregate_migration (name TEXT PRIMARY KEY, applied_at TIMESTAMPTZ NOT NULL DEFAULT now())",
                logger: logger)
            var applied = Set<String>()
            for try await name in try await connection.query("SELECT name FROM coregate_migration", logger: logger).decode(String.self) {
                applied.insert(name)
            }
            guard applied.isSubset(of: Set(migrations.map(\.name))) else { throw StoreError.schemaTooNew }
            for migration in migrations where !applied.contains(migration.name) {
                for statement in migration.statements {
                    try await connection.query(PostgresQuery(unsafeSQL: statement), logger: logger)
                }
                try await connection.query("INSERT INTO coregate_migration (name) VALUES (\(migration.name))", logger: logger)
            }
        }
    }
}

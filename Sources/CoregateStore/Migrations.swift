import GRDB

/// The schema, as a list of migrations.
///
/// A shipped migration is never edited: a database in the field has already run it. Change the
/// schema by appending a migration. Table and column names are literals, never Swift constants,
/// because a migration describes the past, and code moves on.
///
/// The schema holds the store's invariants, so no code path can break them:
/// - an event is unique on (tenant, id): a redelivered item cannot be stored twice;
/// - one delivery per (event, handler), in one of five states, with `finished_at` set exactly when
///   the delivery is finished (done or dead);
/// - `delivery.id` is the arrival sequence (AUTOINCREMENT: monotonic, never reused), which orders
///   each lane (tenant, handler, contact_key);
/// - `delivery_count` is kept by triggers, so counts by state stay exact whichever process writes;
/// - a reply action belongs to the delivery whose attempt asked for it, once per position.
enum Migrations {
    static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1 events, deliveries, attempts") { db in
            try db.execute(sql: """
                CREATE TABLE event (
                    seq INTEGER PRIMARY KEY AUTOINCREMENT,
                    tenant TEXT NOT NULL,
                    id TEXT NOT NULL,
                    type TEXT NOT NULL,
                    contact_key TEXT,
                    stored_at INTEGER NOT NULL,
                    json BLOB NOT NULL,
                    UNIQUE (id, tenant)
                );
                CREATE INDEX event_by_stored_at ON event (stored_at);

                CREATE TABLE delivery (
                    id INTEGER PRIMARY KEY AUTOINCREMENT,
                    event_seq INTEGER NOT NULL REFERENCES event (seq) ON DELETE CASCADE,
                    tenant TEXT NOT NULL,
                    handler TEXT NOT NULL,
                    contact_key TEXT,
                    state TEXT NOT NULL
                        CHECK (state IN ('pending', 'running', 'retrying', 'done', 'dead')),
                    is_head INTEGER NOT NULL CHECK (is_head IN (0, 1)),
                    round INTEGER NOT NULL DEFAULT 1 CHECK (round >= 1),
                    attempts INTEGER NOT NULL DEFAULT 0 CHECK (attempts >= 0),
                    next_attempt_at INTEGER NOT NULL,
                    claimed_at INTEGER CHECK (state <> 'running' OR claimed_at IS NOT NULL),
                    finished_at INTEGER
                        CHECK ((finished_at IS NOT NULL) = (state IN ('done', 'dead'))),
                    UNIQUE (event_seq, handler)
                );
                -- Unfinished deliveries by lane, in arrival order: finds a lane's head.
                CREATE INDEX delivery_by_lane ON delivery (tenant, handler, contact_key, id)
                    WHERE state IN ('pending', 'running', 'retrying');
                -- What a claim reads: lane heads that wait, per tenant, by due time.
                CREATE INDEX delivery_due ON delivery (tenant, next_attempt_at, id)
                    WHERE is_head = 1 AND state IN ('pending', 'retrying');
                CREATE INDEX delivery_running ON delivery (id) WHERE state = 'running';
                CREATE INDEX delivery_dead ON delivery (tenant, finished_at) WHERE state = 'dead';

                CREATE TABLE attempt (
                    delivery_id INTEGER NOT NULL REFERENCES delivery (id) ON DELETE CASCADE,
                    round INTEGER NOT NULL CHECK (round >= 1),
                    number INTEGER NOT NULL CHECK (number >= 1),
                    started_at INTEGER NOT NULL,
                    duration_ms INTEGER CHECK (duration_ms >= 0),
                    outcome TEXT NOT NULL,
                    exit_status INTEGER,
                    signal INTEGER,
                    stdout BLOB NOT NULL,
                    stderr_lines INTEGER NOT NULL CHECK (stderr_lines >= 0),
                    PRIMARY KEY (delivery_id, round, number)
                );
                CREATE INDEX attempt_by_started_at ON attempt (started_at);

                CREATE TABLE delivery_count (
                    tenant TEXT NOT NULL,
                    state TEXT NOT NULL,
                    n INTEGER NOT NULL CHECK (n >= 0),
                    PRIMARY KEY (tenant, state)
                ) WITHOUT ROWID;
                CREATE TRIGGER delivery_count_insert AFTER INSERT ON delivery BEGIN
                    INSERT INTO delivery_count (tenant, state, n) VALUES (NEW.tenant, NEW.state, 1)
                        ON CONFLICT (tenant, state) DO UPDATE SET n = n + 1;
                END;
                CREATE TRIGGER delivery_count_update AFTER UPDATE OF state ON delivery
                    WHEN OLD.state <> NEW.state BEGIN
                    UPDATE delivery_count SET n = n - 1 WHERE tenant = OLD.tenant AND state = OLD.state;
                    INSERT INTO delivery_count (tenant, state, n) VALUES (NEW.tenant, NEW.state, 1)
                        ON CONFLICT (tenant, state) DO UPDATE SET n = n + 1;
                END;
                CREATE TRIGGER delivery_count_delete AFTER DELETE ON delivery BEGIN
                    UPDATE delivery_count SET n = n - 1 WHERE tenant = OLD.tenant AND state = OLD.state;
                END;
                """)
        }
        migrator.registerMigration("v2 reply actions") { db in
            try db.execute(sql: ReplySQL.migration)
        }
        return migrator
    }
}

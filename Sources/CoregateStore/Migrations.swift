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
/// - `delivery.id` is the arrival sequence, which orders each lane (tenant, handler, contact_key);
/// - `delivery_count` holds the counts by state: every transaction that changes a delivery's
///   state changes them too (``DeliveryCountChanges``; a trigger for deletes), so they stay exact
///   whichever process writes;
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
        // Every delivery row is inserted, claimed and settled, so what each of those writes costs
        // is paid per event (docs/performance.md, issue 13). SQLite evaluates an `IN` list of more
        // than two constants through a temporary table built on each execution of a statement,
        // and v1's CHECK on `state` and the conditions of `delivery_by_lane` had such lists; the
        // `delivery_count` triggers ran two upserts per change of state; AUTOINCREMENT wrote
        // `sqlite_sequence` per insert. This migration rebuilds `event` and `delivery` without
        // them (a CHECK cannot be altered in place), with foreign keys off for the rebuild
        // (GRDB's default for a migration), and keeps the rows and their ids:
        // - the state CHECK is a chain of equalities; `delivery_by_lane` holds the rows with no
        //   `finished_at` (the same rows, by the finished_at CHECK), which a claim never changes;
        // - ids are plain rowids, one more than the largest in the table. The two properties the
        //   ids serve still hold: a new delivery's id is above every delivery of its lane (the
        //   lane order), and a new event's seq above every stored event (newest first). An id can
        //   come back only after the row with the largest id was deleted, and only finished rows
        //   are (purge, prune), with their attempts and actions: nothing refers to them then;
        // - the writers keep `delivery_count` themselves, one upsert per (tenant, state) and
        //   transaction (DeliveryCountChanges); deletes keep their trigger, so that a cascade
        //   from a pruned event still counts.
        migrator.registerMigration("v3 cheaper delivery rows") { db in
            try db.execute(sql: """
                CREATE TABLE event_new (
                    seq INTEGER PRIMARY KEY,
                    tenant TEXT NOT NULL,
                    id TEXT NOT NULL,
                    type TEXT NOT NULL,
                    contact_key TEXT,
                    stored_at INTEGER NOT NULL,
                    json BLOB NOT NULL,
                    UNIQUE (id, tenant)
                );
                INSERT INTO event_new (seq, tenant, id, type, contact_key, stored_at, json)
                    SELECT seq, tenant, id, type, contact_key, stored_at, json FROM event;
                DROP TABLE event;
                ALTER TABLE event_new RENAME TO event;
                CREATE INDEX event_by_stored_at ON event (stored_at);

                CREATE TABLE delivery_new (
                    id INTEGER PRIMARY KEY,
                    event_seq INTEGER NOT NULL REFERENCES event (seq) ON DELETE CASCADE,
                    tenant TEXT NOT NULL,
                    handler TEXT NOT NULL,
                    contact_key TEXT,
                    state TEXT NOT NULL CHECK (
                        state = 'pending' OR state = 'running' OR state = 'retrying'
                        OR state = 'done' OR state = 'dead'),
                    is_head INTEGER NOT NULL CHECK (is_head IN (0, 1)),
                    round INTEGER NOT NULL DEFAULT 1 CHECK (round >= 1),
                    attempts INTEGER NOT NULL DEFAULT 0 CHECK (attempts >= 0),
                    next_attempt_at INTEGER NOT NULL,
                    claimed_at INTEGER CHECK (state <> 'running' OR claimed_at IS NOT NULL),
                    finished_at INTEGER
                        CHECK ((finished_at IS NOT NULL) = (state IN ('done', 'dead'))),
                    UNIQUE (event_seq, handler)
                );
                INSERT INTO delivery_new (id, event_seq, tenant, handler, contact_key, state, is_head, round,
                                          attempts, next_attempt_at, claimed_at, finished_at)
                    SELECT id, event_seq, tenant, handler, contact_key, state, is_head, round,
                           attempts, next_attempt_at, claimed_at, finished_at FROM delivery;
                DROP TABLE delivery;
                ALTER TABLE delivery_new RENAME TO delivery;
                -- Unfinished deliveries by lane, in arrival order: finds a lane's head.
                CREATE INDEX delivery_by_lane ON delivery (tenant, handler, contact_key, id)
                    WHERE finished_at IS NULL;
                -- What a claim reads: lane heads that wait, per tenant, by due time.
                CREATE INDEX delivery_due ON delivery (tenant, next_attempt_at, id)
                    WHERE is_head = 1 AND state IN ('pending', 'retrying');
                CREATE INDEX delivery_running ON delivery (id) WHERE state = 'running';
                CREATE INDEX delivery_dead ON delivery (tenant, finished_at) WHERE state = 'dead';
                CREATE TRIGGER delivery_count_delete AFTER DELETE ON delivery BEGIN
                    UPDATE delivery_count SET n = n - 1 WHERE tenant = OLD.tenant AND state = OLD.state;
                END;
                """)
        }
        // A claim inserted each delivery into `delivery_running` and its settle took it out again:
        // two B-tree writes per delivery, in the one writer every ingest and round shares, for a
        // single reader, recovery at start. Recovery reads the backlog's `delivery_by_lane` instead
        // (a running delivery is unfinished), which costs a scan of the backlog once per start.
        migrator.registerMigration("v4 no running index") { db in
            try db.execute(sql: "DROP INDEX delivery_running")
        }
        return migrator
    }
}

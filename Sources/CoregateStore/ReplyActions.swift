import Foundation
import GRDB

/// One action a handler asked for (SPEC §10), addressed and ready to send: what the sender loop
/// posts. It is stored in the transaction that records the attempt which asked for it, so an
/// attempt that is not recorded (a crash) leaves no action behind, and one that is leaves all.
public struct ReplyRequest: Sendable, Equatable {
    public enum Kind: String, Sendable, CaseIterable {
        case text
        case markRead = "mark_read"
        case message
    }

    public var kind: Kind
    /// The customer: a wa_id, else a business-scoped user id. One customer's actions go out in order.
    public var recipient: String
    /// The Cloud number the event came to, which names the URL; nil for on-premises.
    public var phoneNumberID: String?
    /// The inbound message it answers, quotes or marks read.
    public var messageID: String?
    /// The JSON body to send.
    public var body: [UInt8]

    public init(kind: Kind, recipient: String, phoneNumberID: String?, messageID: String?, body: [UInt8]) {
        self.kind = kind
        self.recipient = recipient
        self.phoneNumberID = phoneNumberID
        self.messageID = messageID
        self.body = body
    }
}

/// Where a stored action stands: `pending` until sent, or `dead` after its last try (kept, with the
/// API's answer, until replayed or purged).
public enum ReplyState: String, Sendable, Hashable, CaseIterable {
    case pending
    case sent
    case dead
}

/// An action due to be sent: the head of its customer's line, due now.
public struct DueReply: Sendable, Equatable {
    public var id: Int64
    public var tenant: String
    public var request: ReplyRequest
    /// Tries made before this one.
    public var tries: Int
}

/// How one try of a ``DueReply`` ended, for ``Store/recordReplyOutcomes(_:now:)``.
public enum ReplyOutcome: Sendable, Equatable {
    /// The API took it; `messageID` is the id it gave the message (none for mark-as-read).
    case sent(id: Int64, messageID: String?, answer: String)
    case retry(id: Int64, at: Date, answer: String)
    case dead(id: Int64, answer: String)
}

/// `coregate events show`: one action of a delivery's attempt.
public struct ReplyRecord: Sendable, Equatable {
    public var id: Int64
    public var round: Int
    /// The attempt that asked for it.
    public var attempt: Int
    public var kind: String
    public var state: ReplyState
    public var tries: Int
    public var sentMessageID: String?
    /// The API's last answer (status and body) or why no answer came.
    public var answer: String?
    public var body: [UInt8]
}

/// Every statement about stored actions, kept in this one file (SQLite's; a PostgreSQL store
/// needs the same table and these statements in its dialect).
enum ReplySQL {
    static let migration = """
        CREATE TABLE reply_action (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            delivery_id INTEGER NOT NULL REFERENCES delivery (id) ON DELETE CASCADE,
            round INTEGER NOT NULL,
            number INTEGER NOT NULL,
            position INTEGER NOT NULL,
            tenant TEXT NOT NULL,
            recipient TEXT NOT NULL,
            kind TEXT NOT NULL CHECK (kind IN ('text', 'mark_read', 'message')),
            phone_number_id TEXT,
            message_id TEXT,
            body BLOB NOT NULL,
            state TEXT NOT NULL CHECK (state IN ('pending', 'sent', 'dead')),
            tries INTEGER NOT NULL DEFAULT 0 CHECK (tries >= 0),
            next_try_at INTEGER NOT NULL,
            sent_message_id TEXT,
            answer TEXT,
            finished_at INTEGER CHECK ((finished_at IS NOT NULL) = (state IN ('sent', 'dead'))),
            UNIQUE (delivery_id, round, number, position)
        );
        -- A customer's unsent actions in order: only the first may be sent.
        CREATE INDEX reply_action_by_recipient ON reply_action (tenant, recipient, id) WHERE state = 'pending';
        CREATE INDEX reply_action_due ON reply_action (next_try_at, id) WHERE state = 'pending';
        """

    static func insert(_ db: Database, deliveryID: Int64, round: Int, number: Int, tenant: String,
                       replies: [ReplyRequest], now: Int64) throws {
        let insert = try db.cachedStatement(sql: """
            INSERT INTO reply_action (delivery_id, round, number, position, tenant, recipient, kind,
                                      phone_number_id, message_id, body, state, next_try_at)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'pending', ?)
            """)
        for (position, reply) in replies.enumerated() {
            try insert.execute(arguments: [
                deliveryID, round, number, position, tenant, reply.recipient, reply.kind.rawValue,
                reply.phoneNumberID, reply.messageID, Data(reply.body), now,
            ])
        }
    }

    /// The first unsent action of each customer, if due: at most `limit`.
    static func due(_ db: Database, now: Int64, limit: Int) throws -> [DueReply] {
        let rows = try Row.fetchAll(db.cachedStatement(sql: """
            SELECT id, tenant, recipient, kind, phone_number_id, message_id, body, tries FROM reply_action AS a
            WHERE state = 'pending' AND next_try_at <= ?
              AND NOT EXISTS (SELECT 1 FROM reply_action AS earlier
                              WHERE earlier.tenant = a.tenant AND earlier.recipient = a.recipient
                                AND earlier.id < a.id AND earlier.state = 'pending')
            ORDER BY next_try_at, id LIMIT ?
            """), arguments: [now, limit])
        return rows.map { row in
            DueReply(
                id: row["id"], tenant: row["tenant"],
                request: ReplyRequest(
                    kind: ReplyRequest.Kind(rawValue: row["kind"]) ?? .message, recipient: row["recipient"],
                    phoneNumberID: row["phone_number_id"], messageID: row["message_id"],
                    body: [UInt8](row["body"] as Data)),
                tries: row["tries"])
        }
    }

    static func nextDue(_ db: Database) throws -> Date? {
        try Int64.fetchOne(db, sql: "SELECT MIN(next_try_at) FROM reply_action WHERE state = 'pending'")
            .map(Date.init(storeMilliseconds:))
    }

    /// False when the action was no longer pending (replayed or purged meanwhile).
    static func record(_ db: Database, _ outcome: ReplyOutcome, now: Int64) throws -> Bool {
        switch outcome {
        case .sent(let id, let messageID, let answer):
            try db.cachedStatement(sql: """
                UPDATE reply_action SET state = 'sent', tries = tries + 1, sent_message_id = ?, answer = ?, finished_at = ?
                WHERE id = ? AND state = 'pending'
                """).execute(arguments: [messageID, answer, now, id])
        case .retry(let id, let at, let answer):
            try db.cachedStatement(sql: """
                UPDATE reply_action SET tries = tries + 1, next_try_at = ?, answer = ? WHERE id = ? AND state = 'pending'
                """).execute(arguments: [at.storeMilliseconds, answer, id])
        case .dead(let id, let answer):
            try db.cachedStatement(sql: """
                UPDATE reply_action SET state = 'dead', tries = tries + 1, answer = ?, finished_at = ?
                WHERE id = ? AND state = 'pending'
                """).execute(arguments: [answer, now, id])
        }
        return db.changesCount == 1
    }

    static func records(_ db: Database, deliveryID: Int64) throws -> [ReplyRecord] {
        try Row.fetchAll(db.cachedStatement(sql: """
            SELECT id, round, number, kind, state, tries, sent_message_id, answer, body FROM reply_action
            WHERE delivery_id = ? ORDER BY round, number, position
            """), arguments: [deliveryID]).map { row in
            ReplyRecord(
                id: row["id"], round: row["round"], attempt: row["number"], kind: row["kind"],
                state: ReplyState(rawValue: row["state"]) ?? .pending, tries: row["tries"],
                sentMessageID: row["sent_message_id"], answer: row["answer"], body: [UInt8](row["body"] as Data))
        }
    }

    /// Dead actions pending again, with their tries counted from 0.
    static func replay(_ db: Database, ids: [Int64], now: Int64) throws -> Int {
        guard !ids.isEmpty else { return 0 }
        try db.execute(sql: """
            UPDATE reply_action SET state = 'pending', tries = 0, next_try_at = ?, finished_at = NULL
            WHERE state = 'dead' AND id IN (\(databaseQuestionMarks(count: ids.count)))
            """, arguments: StatementArguments([now] + ids))
        return db.changesCount
    }

    static func replayDead(_ db: Database, tenant: String, now: Int64) throws -> Int {
        try db.execute(sql: """
            UPDATE reply_action SET state = 'pending', tries = 0, next_try_at = ?, finished_at = NULL
            WHERE state = 'dead' AND tenant = ?
            """, arguments: [now, tenant])
        return db.changesCount
    }

    /// Dead actions that died before `before`; the event and its deliveries stay for retention.
    static func purgeDead(_ db: Database, before: Int64) throws -> Int {
        try db.execute(sql: "DELETE FROM reply_action WHERE state = 'dead' AND finished_at < ?", arguments: [before])
        return db.changesCount
    }

    /// Retention keeps an event while one of its actions is unsent or dead: the sender still
    /// needs it, or an operator has yet to see it.
    static let keepsEvent = """
        EXISTS (SELECT 1 FROM reply_action JOIN delivery AS d ON d.id = reply_action.delivery_id
                WHERE d.event_seq = event.seq AND reply_action.state IN ('pending', 'dead'))
        """
}

extension SQLiteStore {
    public func dueReplies(limit: Int, now: Date) async throws -> [DueReply] {
        try await pool.read { try ReplySQL.due($0, now: now.storeMilliseconds, limit: limit) }
    }

    public func nextReplyDue() async throws -> Date? {
        try await pool.read(ReplySQL.nextDue)
    }

    /// A `sent` record is fsynced when the store is power-loss safe: losing it would send the action again.
    public func recordReplyOutcomes(_ outcomes: [ReplyOutcome], now: Date) async throws -> Int {
        guard !outcomes.isEmpty else { return 0 }
        let now = now.storeMilliseconds
        return try await write { db in
            try outcomes.reduce(0) { count, outcome in count + (try ReplySQL.record(db, outcome, now: now) ? 1 : 0) }
        }
    }

    public func replayReplies(ids: [Int64], now: Date) async throws -> Int {
        try await write { try ReplySQL.replay($0, ids: ids, now: now.storeMilliseconds) }
    }

    public func replayDeadReplies(tenant: String, now: Date) async throws -> Int {
        try await write { try ReplySQL.replayDead($0, tenant: tenant, now: now.storeMilliseconds) }
    }
}

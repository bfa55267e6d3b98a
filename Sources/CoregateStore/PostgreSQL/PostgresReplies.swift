import Foundation
import Logging
import NIOCore
import PostgresNIO

/// Reply actions (SPEC §10) in PostgreSQL: SQLite's table and statements (``ReplySQL``) in this
/// dialect, and one difference. Every node runs a sender loop, so handing actions out claims
/// them: ``dueReplies(limit:now:)`` takes due heads with `FOR UPDATE SKIP LOCKED` and moves
/// them ``replyLease`` into the future, so no other node sends them meanwhile; a node that dies
/// before it records the outcome leaves them due again after that (sent at least once).
extension PostgresStore {
    /// Longer than one try of an action may take (the sender's HTTP timeout) with its recording.
    static let replyLease: Int64 = 120_000

    static let replyMigration = [
        """
        CREATE TABLE reply_action (
            id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
            delivery_id BIGINT NOT NULL REFERENCES delivery (id) ON DELETE CASCADE,
            round BIGINT NOT NULL,
            number BIGINT NOT NULL,
            position BIGINT NOT NULL,
            tenant TEXT NOT NULL,
            recipient TEXT NOT NULL,
            kind TEXT NOT NULL CHECK (kind IN ('text', 'mark_read', 'message')),
            phone_number_id TEXT,
            message_id TEXT,
            body BYTEA NOT NULL,
            state TEXT NOT NULL CHECK (state IN ('pending', 'sent', 'dead')),
            tries BIGINT NOT NULL DEFAULT 0 CHECK (tries >= 0),
            next_try_at BIGINT NOT NULL,
            sent_message_id TEXT,
            answer TEXT,
            finished_at BIGINT CHECK ((finished_at IS NOT NULL) = (state IN ('sent', 'dead'))),
            UNIQUE (delivery_id, round, number, position)
        )
        """,
        "CREATE INDEX reply_action_by_recipient ON reply_action (tenant, recipient, id) WHERE state = 'pending'",
        "CREATE INDEX reply_action_due ON reply_action (next_try_at, id) WHERE state = 'pending'",
    ]

    static func insertReplies(
        _ connection: PostgresConnection, deliveryID: Int64, round: Int, number: Int, tenant: String,
        replies: [ReplyRequest], now: Int64, logger: Logger
    ) async throws {
        for (position, reply) in replies.enumerated() {
            try await connection.query("""
                INSERT INTO reply_action (delivery_id, round, number, position, tenant, recipient, kind,
                                          phone_number_id, message_id, body, state, next_try_at)
                VALUES (\(deliveryID), \(round), \(number), \(position), \(tenant), \(reply.recipient), \(reply.kind.rawValue),
                        \(reply.phoneNumberID), \(reply.messageID), \(ByteBuffer(bytes: reply.body)), 'pending', \(now))
                """, logger: logger)
        }
    }

    static func replyRecords(_ connection: PostgresConnection, deliveryID: Int64, logger: Logger) async throws -> [ReplyRecord] {
        let rows = try await connection.query("""
            SELECT id, round, number, kind, state, tries, sent_message_id, answer, body FROM reply_action
            WHERE delivery_id = \(deliveryID) ORDER BY round, number, position
            """, logger: logger)
        var records: [ReplyRecord] = []
        for try await (id, round, number, kind, state, tries, sentMessageID, answer, body)
            in rows.decode((Int64, Int, Int, String, String, Int, String?, String?, ByteBuffer).self)
        {
            records.append(ReplyRecord(
                id: id, round: round, attempt: number, kind: kind, state: ReplyState(rawValue: state) ?? .pending,
                tries: tries, sentMessageID: sentMessageID, answer: answer, body: Array(body.readableBytesView)))
        }
        return records
    }

    /// See ``ReplySQL/keepsEvent``.
    static let replyKeepsEvent = """
        EXISTS (SELECT 1 FROM reply_action JOIN delivery AS d ON d.id = reply_action.delivery_id
                WHERE d.event_seq = event.seq AND reply_action.state IN ('pending', 'dead'))
        """

    public func dueReplies(limit: Int, now: Date) async throws -> [DueReply] {
        let now = now.storeMilliseconds, logger = logger
        return try await transaction { connection in
            let rows = try await connection.query("""
                WITH due AS (
                    SELECT id FROM reply_action AS a
                    WHERE state = 'pending' AND next_try_at <= \(now)
                      AND NOT EXISTS (SELECT 1 FROM reply_action AS earlier
                                      WHERE earlier.tenant = a.tenant AND earlier.recipient = a.recipient
                                        AND earlier.id < a.id AND earlier.state = 'pending')
                    ORDER BY next_try_at, id LIMIT \(limit)
                    FOR UPDATE SKIP LOCKED)
                UPDATE reply_action AS a SET next_try_at = \(now + Self.replyLease)
                FROM due WHERE a.id = due.id
                RETURNING a.id, a.tenant, a.recipient, a.kind, a.phone_number_id, a.message_id, a.body, a.tries
                """, logger: logger)
            var due: [DueReply] = []
            for try await (id, tenant, recipient, kind, phoneNumberID, messageID, body, tries)
                in rows.decode((Int64, String, String, String, String?, String?, ByteBuffer, Int).self)
            {
                due.append(DueReply(
                    id: id, tenant: tenant,
                    request: ReplyRequest(
                        kind: ReplyRequest.Kind(rawValue: kind) ?? .message, recipient: recipient,
                        phoneNumberID: phoneNumberID, messageID: messageID, body: Array(body.readableBytesView)),
                    tries: tries))
            }
            return due.sorted { $0.id < $1.id }
        }
    }

    public func nextReplyDue() async throws -> Date? {
        let logger = logger
        return try await transaction { connection in
            let rows = try await connection.query(
                "SELECT MIN(next_try_at) FROM reply_action WHERE state = 'pending'", logger: logger)
            for try await due in rows.decode(Int64?.self) { return due.map(Date.init(storeMilliseconds:)) }
            return nil
        }
    }

    public func recordReplyOutcomes(_ outcomes: [ReplyOutcome], now: Date) async throws -> Int {
        guard !outcomes.isEmpty else { return 0 }
        let now = now.storeMilliseconds, logger = logger
        return try await transaction { connection in
            var recorded = 0
            for outcome in outcomes {
                let rows: PostgresRowSequence
                switch outcome {
                case .sent(let id, let messageID, let answer):
                    rows = try await connection.query("""
                        UPDATE reply_action SET state = 'sent', tries = tries + 1, sent_message_id = \(messageID),
                                                answer = \(answer), finished_at = \(now)
                        WHERE id = \(id) AND state = 'pending' RETURNING id
                        """, logger: logger)
                case .retry(let id, let at, let answer):
                    rows = try await connection.query("""
                        UPDATE reply_action SET tries = tries + 1, next_try_at = \(at.storeMilliseconds), answer = \(answer)
                        WHERE id = \(id) AND state = 'pending' RETURNING id
                        """, logger: logger)
                case .dead(let id, let answer):
                    rows = try await connection.query("""
                        UPDATE reply_action SET state = 'dead', tries = tries + 1, answer = \(answer), finished_at = \(now)
                        WHERE id = \(id) AND state = 'pending' RETURNING id
                        """, logger: logger)
                }
                for try await _ in rows.decode(Int64.self) { recorded += 1 }
            }
            return recorded
        }
    }

    public func replayReplies(ids: [Int64], now: Date) async throws -> Int {
        guard !ids.isEmpty else { return 0 }
        return try await replayDeadReplies(where: "id = ANY($2)", ids, now: now)
    }

    public func replayDeadReplies(tenant: String, now: Date) async throws -> Int {
        try await replayDeadReplies(where: "tenant = $2", tenant, now: now)
    }

    private func replayDeadReplies(
        where condition: String, _ argument: some PostgresEncodable & Sendable, now: Date
    ) async throws -> Int {
        let logger = logger
        return try await transaction { connection in
            var binds = PostgresBindings()
            binds.append(now.storeMilliseconds)
            try binds.append(argument)
            let rows = try await connection.query(PostgresQuery(unsafeSQL: """
                UPDATE reply_action SET state = 'pending', tries = 0, next_try_at = $1, finished_at = NULL
                WHERE state = 'dead' AND \(condition) RETURNING id
                """, binds: binds), logger: logger)
            var count = 0
            for try await _ in rows.decode(Int64.self) { count += 1 }
            return count
        }
    }

    static func purgeDeadReplies(_ connection: PostgresConnection, before: Int64, logger: Logger) async throws {
        try await connection.query(
            "DELETE FROM reply_action WHERE state = 'dead' AND finished_at < \(before)", logger: logger)
    }
}

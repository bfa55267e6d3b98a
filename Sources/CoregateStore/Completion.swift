import Foundation
import GRDB

/// Where a delivery went after an attempt.
public enum Completion: Sendable, Equatable {
    case done
    case retrying(at: Date)
    /// The last attempt of its round failed: a dead letter, kept until replayed or purged.
    case dead

    /// Done or dead: the delivery leaves the backlog and its lane moves on.
    public var isFinished: Bool {
        if case .retrying = self { return false }
        return true
    }
}

extension RetryPolicy {
    /// Where a delivery goes after this attempt: done on success; otherwise retrying after the
    /// backoff, or dead once the attempt was the round's last.
    public func completion(after outcome: HandlerOutcome, attempt: Int, now: Date = Date()) -> Completion {
        if outcome.isSuccess { return .done }
        if attempt >= maxAttempts { return .dead }
        return .retrying(at: now + backoff.delay(afterAttempt: attempt).timeInterval)
    }
}

/// How one claimed delivery ended, for ``Store/settle(_:claims:now:)`` to record.
public enum Settlement: Sendable {
    /// The handler ran: the attempt is recorded and the delivery moves on as `completion` says.
    case attempted(Claim, HandlerResult, Completion)
    /// It never ran because the gateway was short of descriptors, processes or memory. Not an
    /// attempt: the count goes back down, nothing is recorded, and it is due again at `until`.
    case deferred(Claim, until: Date)

    public var claim: Claim {
        switch self {
        case .attempted(let claim, _, _), .deferred(let claim, _): claim
        }
    }
}

/// What one settle transaction did.
public struct SettleResult: Sendable {
    /// Per pool asked for, what it claimed.
    public var claims: [DeliveryPool: TenantClaims] = [:]
    /// Settlements whose delivery was no longer running in that attempt (replayed or purged by
    /// an operator meanwhile): nothing was recorded for them.
    public var notRunning: [Claim] = []
}

extension SQLiteStore {
    public func settle(_ settlements: [Settlement], claims: [DeliveryPool: Int], now: Date) async throws -> SettleResult {
        guard !settlements.isEmpty || claims.contains(where: { $0.value > 0 }) else { return SettleResult() }
        let backlogCounts = backlogCounts
        return try await writeWithoutFsync { try Self.settle($0, settlements, claims: claims, now: now, backlogCounts: backlogCounts) }
    }

    /// Blocks while another process holds the write lock too, up to the busy timeout.
    public func settleBlocking(_ settlements: [Settlement], claims: [DeliveryPool: Int], now: Date) throws -> SettleResult {
        guard !settlements.isEmpty || claims.contains(where: { $0.value > 0 }) else { return SettleResult() }
        return try writeWithoutFsync { try Self.settle($0, settlements, claims: claims, now: now, backlogCounts: backlogCounts) }
    }

    private static func settle(
        _ db: Database, _ settlements: [Settlement], claims: [DeliveryPool: Int], now: Date, backlogCounts: BacklogCounts
    ) throws -> SettleResult {
        let now = now.storeMilliseconds
        var result = SettleResult()
        var counts = DeliveryCountChanges()
        for settlement in settlements {
            if try !record(settlement, db, now: now, counts: &counts) {
                result.notRunning.append(settlement.claim)
            }
        }
        for (pool, limit) in claims where limit > 0 {
            result.claims[pool] = try Claiming.claim(db, pool: pool, limit: limit, now: now, counts: &counts)
        }
        try counts.write(to: db)
        backlogCounts.add(counts.backlog)
        return result
    }

    /// False when the delivery is no longer running in this attempt.
    private static func record(
        _ settlement: Settlement, _ db: Database, now: Int64, counts: inout DeliveryCountChanges
    ) throws -> Bool {
        let claim = settlement.claim
        switch settlement {
        case .deferred(_, let until):
            let update = try db.cachedStatement(sql: """
                UPDATE delivery
                SET state = CASE WHEN attempts > 1 THEN 'retrying' ELSE 'pending' END,
                    attempts = attempts - 1, next_attempt_at = ?, claimed_at = NULL
                WHERE id = ? AND state = 'running' AND round = ? AND attempts = ?
                """)
            try update.execute(arguments: [until.storeMilliseconds, claim.deliveryID, claim.round, claim.attempt])
            guard db.changesCount == 1 else { return false }
            counts.move(tenant: claim.tenant, from: .running, to: claim.attempt > 1 ? .retrying : .pending)
            return true
        case .attempted(_, let report, let completion):
            // No RETURNING: SQLite builds a temporary table for each statement that has one, which
            // cost more than the update itself; the claim already names the lane.
            let update = try db.cachedStatement(sql: """
                UPDATE delivery SET state = ?, next_attempt_at = ?, finished_at = ?, claimed_at = NULL
                WHERE id = ? AND state = 'running' AND round = ? AND attempts = ?
                """)
            let (state, nextAttemptAt, finishedAt): (DeliveryState, Int64, Int64?) =
                switch completion {
                case .done: (.done, now, now)
                case .dead: (.dead, now, now)
                case .retrying(let at): (.retrying, at.storeMilliseconds, nil)
                }
            try update.run([
                .text(state.rawValue), .integer(nextAttemptAt), .integer(finishedAt), .integer(claim.deliveryID),
                .integer(claim.round), .integer(claim.attempt),
            ])
            guard db.changesCount == 1 else { return false }
            counts.move(tenant: claim.tenant, from: .running, to: state)
            try Completion.recordAttempt(db, deliveryID: claim.deliveryID, round: claim.round, number: claim.attempt, report: report)
            if state == .done && !report.replies.isEmpty {
                try ReplySQL.insert(
                    db, deliveryID: claim.deliveryID, round: claim.round, number: claim.attempt, tenant: claim.tenant,
                    replies: report.replies, now: now)
            }
            if state.isFinished {
                try Lanes.promoteNextHead(db, tenant: claim.tenant, handler: claim.handler, contactKey: claim.contactKey)
            }
            return true
        }
    }
}

extension Completion {
    static func recordAttempt(_ db: Database, deliveryID: Int64, round: Int, number: Int, report: HandlerResult) throws {
        let insert = try db.cachedStatement(sql: """
            INSERT INTO attempt (delivery_id, round, number, started_at, duration_ms, outcome,
                                 exit_status, signal, stdout, stderr_lines)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            """)
        try insert.run([
            .integer(deliveryID), .integer(round), .integer(number), .integer(report.startedAt.storeMilliseconds),
            .integer(report.duration.milliseconds), .text(report.outcome.recordedName), .integer(report.outcome.exitStatus),
            .integer(report.outcome.signal), .blob(report.recordedOutput), .integer(report.standardErrorLineCount),
        ])
    }
}

import Foundation
import GRDB

/// How one attempt ended, as recorded in `attempt.outcome`.
public enum AttemptOutcome: String, Sendable, Hashable, CaseIterable {
    /// Exit 0: the delivery is done.
    case succeeded
    /// Exit 75 (EX_TEMPFAIL): the handler asked to be tried again later. It counts as an attempt
    /// like any failure; the name lets logs and stats tell a request from an error.
    case retryRequested = "retry-requested"
    /// Any other exit status.
    case failed
    /// Ended by a signal it did not get from the timeout.
    case signaled
    /// Ran past its timeout and was killed.
    case timedOut = "timed-out"
    /// Could not be started (missing or not executable command).
    case notStarted = "not-started"
    /// The service died while it ran; written by crash recovery, never by `complete`.
    case interrupted

    public var isSuccess: Bool { self == .succeeded }
}

/// What the dispatcher saw of one attempt.
public struct AttemptReport: Sendable, Equatable {
    public var outcome: AttemptOutcome
    public var startedAt: Date
    public var duration: Duration
    public var exitStatus: Int32?
    public var signal: Int32?
    /// Already bounded by the caller.
    public var stdout: [UInt8]
    /// How many stderr lines went to the journal.
    public var stderrLines: Int

    public init(
        outcome: AttemptOutcome, startedAt: Date, duration: Duration, exitStatus: Int32? = nil,
        signal: Int32? = nil, stdout: [UInt8] = [], stderrLines: Int = 0
    ) {
        self.outcome = outcome
        self.startedAt = startedAt
        self.duration = duration
        self.exitStatus = exitStatus
        self.signal = signal
        self.stdout = stdout
        self.stderrLines = stderrLines
    }
}

/// Where a delivery went after an attempt.
public enum Completion: Sendable, Equatable {
    case done
    case retrying(at: Date)
    /// The last attempt of its round failed: a dead letter, kept until replayed or purged.
    case dead
}

extension Store {
    /// Records the attempt and moves the delivery on: done on success; otherwise retrying after
    /// the policy's backoff, or dead once the attempt was the round's last. A finished delivery
    /// releases its lane, so the contact's next event for that handler becomes claimable.
    ///
    /// Throws ``StoreError/claimNotRunning(deliveryID:)`` when the delivery is no longer running
    /// in this attempt.
    @discardableResult
    public func complete(
        _ claim: Claim, report: AttemptReport, policy: RetryPolicy, now: Date = Date()
    ) async throws -> Completion {
        let completion: Completion =
            if report.outcome.isSuccess {
                .done
            } else if claim.attempt >= policy.maxAttempts {
                .dead
            } else {
                .retrying(at: now + policy.backoff.delay(afterAttempt: claim.attempt).timeInterval)
            }
        let nowMilliseconds = now.storeMilliseconds
        try await write { db in
            let update = try db.cachedStatement(sql: """
                UPDATE delivery SET state = ?, next_attempt_at = ?, finished_at = ?, claimed_at = NULL
                WHERE id = ? AND state = 'running' AND round = ? AND attempts = ?
                RETURNING tenant, handler, contact_key
                """)
            let (state, nextAttemptAt, finishedAt): (DeliveryState, Int64, Int64?) =
                switch completion {
                case .done: (.done, nowMilliseconds, nowMilliseconds)
                case .dead: (.dead, nowMilliseconds, nowMilliseconds)
                case .retrying(let at): (.retrying, at.storeMilliseconds, nil)
                }
            guard let lane = try Row.fetchOne(update, arguments: [
                state.rawValue, nextAttemptAt, finishedAt, claim.deliveryID, claim.round, claim.attempt,
            ]) else {
                throw StoreError.claimNotRunning(deliveryID: claim.deliveryID)
            }
            try Self.recordAttempt(db, claim: claim, report: report)
            if state.isFinished {
                try Lanes.promoteNextHead(
                    db, tenant: lane["tenant"], handler: lane["handler"], contactKey: lane["contact_key"])
            }
        }
        return completion
    }

    private static func recordAttempt(_ db: Database, claim: Claim, report: AttemptReport) throws {
        let insert = try db.cachedStatement(sql: """
            INSERT INTO attempt (delivery_id, round, number, started_at, duration_ms, outcome,
                                 exit_status, signal, stdout, stderr_lines)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            """)
        try insert.execute(arguments: [
            claim.deliveryID, claim.round, claim.attempt, report.startedAt.storeMilliseconds,
            report.duration.milliseconds, report.outcome.rawValue, report.exitStatus, report.signal,
            Data(report.stdout), report.stderrLines,
        ])
    }
}

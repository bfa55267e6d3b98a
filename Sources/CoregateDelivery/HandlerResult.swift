import Foundation

/// How one run of a handler ended. Each case is a different decision for the queue.
public enum HandlerOutcome: Sendable, Equatable, CustomStringConvertible {
    /// Exit status 0: the event is done for this handler.
    case succeeded
    /// Exit status 75 (EX_TEMPFAIL): the handler asks to be run again later; it counts as an attempt.
    case retryRequested
    /// Any other exit status.
    case failed(exitStatus: Int32)
    /// Killed by a signal it did not get from the runner's timeout.
    case signaled(signal: Int32)
    /// It ran past its timeout, and its process group got SIGTERM, then SIGKILL.
    case timedOut
    /// It never ran: a missing or non-executable command, or no state folder.
    case couldNotStart(reason: String)
    /// It never ran because the gateway itself ran short of descriptors, processes or memory.
    /// Not the handler's fault, so not an attempt: the delivery waits a moment and runs again.
    case gatewayShortOf(reason: String)
    /// Stream mode: the worker answered `"status": "failed"`.
    case answeredFailed
    /// Stream mode: the worker was stopped before it answered (it exited, closed stdout, or wrote
    /// a line that is not an answer to an outstanding event); `reason` says which.
    case workerFailed(reason: String)

    public var description: String {
        switch self {
        case .succeeded: "succeeded"
        case .retryRequested: "retry requested (exit 75)"
        case .failed(let status): "failed (exit \(status))"
        case .signaled(let signal): "killed by signal \(signal)"
        case .timedOut: "timed out"
        case .couldNotStart(let reason): "could not start: \(reason)"
        case .gatewayShortOf(let reason): "not started, the gateway is short of resources: \(reason)"
        case .answeredFailed: "answered failed"
        case .workerFailed(let reason): "worker stopped before answering: \(reason)"
        }
    }
}

/// What is kept of one run of a handler, with the attempt.
public struct HandlerResult: Sendable, Equatable {
    public var outcome: HandlerOutcome
    public var startedAt: Date
    public var duration: Duration
    /// The first bytes of stdout, up to the runner's limit.
    public var standardOutput: [UInt8]
    /// The handler wrote more than `standardOutput` holds.
    public var standardOutputTruncated: Bool
    /// Lines the handler wrote to stderr, each of them logged.
    public var standardErrorLineCount: Int
    /// The actions a stream handler's answer listed, or why they cannot be sent
    /// (``ReplyAction/list(_:)``); nil for an exec handler, whose actions are its stdout's
    /// `{"reply": …}` lines.
    public var replyActions: Result<[ReplyAction], ReplyError>?

    public init(
        outcome: HandlerOutcome, startedAt: Date, duration: Duration, standardOutput: [UInt8] = [],
        standardOutputTruncated: Bool = false, standardErrorLineCount: Int = 0
    ) {
        self.outcome = outcome
        self.startedAt = startedAt
        self.duration = duration
        self.standardOutput = standardOutput
        self.standardOutputTruncated = standardOutputTruncated
        self.standardErrorLineCount = standardErrorLineCount
    }
}

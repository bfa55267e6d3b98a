import Foundation

/// How one run of a handler ended. Each case is a different decision for the queue; the store
/// records it as ``recordedName`` with ``exitStatus`` and ``signal``.
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
    /// Not the handler's fault, so not an attempt and never recorded: the delivery waits a moment
    /// and runs again.
    case gatewayShortOf(reason: String)
    /// Stream mode: the worker answered `"status": "failed"`.
    case answeredFailed
    /// Stream mode: the worker was stopped before it answered (it exited, closed stdout, or wrote
    /// a line that is not an answer to an outstanding event); `reason` says which.
    case workerFailed(reason: String)
    /// It succeeded, but asked for a reply that cannot be sent (a line that is not an action, an
    /// event with no customer to answer): a failed attempt, and nothing of it is sent.
    case badReply(reason: String)

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
        case .badReply(let reason): "cannot send the reply: \(reason)"
        }
    }

    public var isSuccess: Bool { self == .succeeded }

    /// What `attempt.outcome` holds, and what `events show`, `stats` and the metrics say. Stream
    /// and exec failures share `failed`; the stored output says which.
    public var recordedName: String {
        switch self {
        case .succeeded: "succeeded"
        case .retryRequested: "retry-requested"
        case .failed, .answeredFailed, .workerFailed: "failed"
        case .signaled: "signaled"
        case .timedOut: "timed-out"
        case .couldNotStart, .gatewayShortOf: "not-started"
        case .badReply: "bad-reply"
        }
    }

    /// The ``recordedName`` crash recovery writes for a run the service died in.
    public static let interruptedName = "interrupted"

    public var exitStatus: Int32? {
        switch self {
        case .succeeded, .badReply: 0
        case .retryRequested: 75
        case .failed(let status): status
        default: nil
        }
    }

    public var signal: Int32? {
        if case .signaled(let signal) = self { return signal }
        return nil
    }
}

/// One run of a handler, as the transports report it and the store records it as an attempt.
public struct HandlerResult: Sendable, Equatable {
    public var outcome: HandlerOutcome
    public var startedAt: Date
    public var duration: Duration
    /// The first bytes of stdout (a stream handler's `detail`), up to the runner's limit.
    public var standardOutput: [UInt8]
    /// The handler wrote more than `standardOutput` holds.
    public var standardOutputTruncated: Bool
    /// Lines the handler wrote to stderr, each of them logged.
    public var standardErrorLineCount: Int
    /// The actions a successful run asked for; stored with the attempt, to be sent.
    public var replies: [ReplyRequest]

    public init(
        outcome: HandlerOutcome, startedAt: Date, duration: Duration, standardOutput: [UInt8] = [],
        standardOutputTruncated: Bool = false, standardErrorLineCount: Int = 0, replies: [ReplyRequest] = []
    ) {
        self.outcome = outcome
        self.startedAt = startedAt
        self.duration = duration
        self.standardOutput = standardOutput
        self.standardOutputTruncated = standardOutputTruncated
        self.standardErrorLineCount = standardErrorLineCount
        self.replies = replies
    }

    /// What `attempt.stdout` keeps: the output, or why the run never started or was cut short,
    /// and after a bad reply, why it cannot be sent.
    public var recordedOutput: [UInt8] {
        switch outcome {
        case .couldNotStart(let reason), .gatewayShortOf(let reason), .workerFailed(let reason):
            return Array(reason.utf8)
        case .badReply(let reason):
            var output = standardOutput
            if !output.isEmpty && output.last != UInt8(ascii: "\n") { output.append(UInt8(ascii: "\n")) }
            return output + Array("coregate: cannot send the reply: \(reason)\n".utf8)
        default:
            return standardOutput
        }
    }
}

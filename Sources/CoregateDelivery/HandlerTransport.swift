import CoregateStore

/// How a handler gets its events: a process per event (``HandlerRunner``, `mode = "exec"`) or a
/// line to one of its long-lived workers (``StreamHandlers``, `mode = "stream"`). The queue,
/// direct mode and `coregate run-handler` drive both the same way.
public protocol HandlerTransport: Sendable {
    /// Starts the runs and returns at once. `sink` gets runs as they end, on a thread of the
    /// transport's, several in one call when they ended together, so the caller can record them in
    /// one store transaction and start the next ones from that same thread.
    func start(_ runs: [HandlerRun], sink: HandlerRunSink)

    /// Runs one event and returns how it ended (direct mode, `coregate run-handler`).
    func run(_ invocation: HandlerInvocation) async -> HandlerResult
}

/// One event for one handler, as a transport takes it.
public struct HandlerRun: Sendable {
    public var invocation: HandlerInvocation
    /// The caller's name for the run (the queue's delivery id), given back with its end.
    public var tag: Int64
    /// Stops an exec run early; a stream run ends with its worker (``StreamHandlers/cancel()``).
    public var cancellation: HandlerCancellation?
    /// Exec: false when the caller is a handler thread about to be free, which then runs it.
    public var wakingAnotherThread: Bool

    public init(
        _ invocation: HandlerInvocation, tag: Int64 = 0, cancellation: HandlerCancellation? = nil,
        wakingAnotherThread: Bool = true
    ) {
        self.invocation = invocation
        self.tag = tag
        self.cancellation = cancellation
        self.wakingAnotherThread = wakingAnotherThread
    }

    public struct Ended: Sendable {
        public var tag: Int64
        public var result: HandlerResult
    }
}

/// Where a transport hands back the runs that ended. Runs given the same sink that end together
/// come back in one call, whichever `start` sent them: the dispatcher gives all its stream runs
/// one sink, so the answers read in one go are recorded in one transaction. A sink per `start`
/// would split them by the round that claimed them, and each piece would cost a transaction of
/// its own (docs/performance.md, issue 13).
public final class HandlerRunSink: Sendable {
    public let ended: @Sendable ([HandlerRun.Ended]) -> Void

    public init(_ ended: @escaping @Sendable ([HandlerRun.Ended]) -> Void) {
        self.ended = ended
    }
}

extension HandlerTransport {
    public func start(_ runs: [HandlerRun], ended: @escaping @Sendable ([HandlerRun.Ended]) -> Void) {
        start(runs, sink: HandlerRunSink(ended))
    }

    /// Runs one event and returns how it ended.
    public func run(_ invocation: HandlerInvocation) async -> HandlerResult {
        await withCheckedContinuation { continuation in
            start([HandlerRun(invocation)]) { ended in
                for run in ended { continuation.resume(returning: run.result) }
            }
        }
    }
}

extension HandlerRunner: HandlerTransport {
    public func start(_ runs: [HandlerRun], sink: HandlerRunSink) {
        for run in runs {
            start(run.invocation, cancellation: run.cancellation ?? HandlerCancellation(), wakingAnotherThread: run.wakingAnotherThread) {
                sink.ended([HandlerRun.Ended(tag: run.tag, result: $0)])
            }
        }
    }
}

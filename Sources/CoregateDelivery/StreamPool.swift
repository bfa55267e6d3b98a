import CSpawn
import CoregateStore
import CoregateTenants
import Foundation
import Logging
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// One stream handler's workers (SPEC §7b) and the thread that looks after them.
///
/// Events go to the worker with the fewest outstanding, as one line each on its stdin; answers
/// come back on its stdout, in any order, and end their runs. A worker that exits, closes stdout,
/// writes a line that is not an answer to one of its outstanding events, or leaves an event
/// unanswered past the handler's timeout is stopped (its process group SIGTERM, then SIGKILL)
/// and started again after a backoff; its unanswered events end as failed attempts, and events
/// sent while it is down wait for the new process.
///
/// One thread per handler polls every worker's stdout, stderr and pidfd. It reads a whole pipe's
/// worth of answers and ends them in one call to their sink, so the dispatcher records them in
/// one store transaction, and, serving the freed slots from its claims in hand on this same
/// thread, writes the next events to the workers: no thread hop per event. Sending writes
/// straight to the worker's pipe from the caller's thread; only what the pipe does not take
/// waits for this thread.
final class StreamPool: Sendable {
    let tenant: String
    let handler: HandlerConfig
    let stateDirectory: String
    private let logger: Logger
    private let settings: StreamSettings
    private let identities: TenantIdentities?
    private let observer: @Sendable (StreamWorkerStop) -> Void
    private let state: Mutex<State>
    /// Rung to make the thread poll again: a stop, or output the pipe did not take.
    private let bell: Int32
    private let ended = Mutex<[CheckedContinuation<Void, Never>]?>([])

    init(
        tenant: String, handler: HandlerConfig, stateDirectory: String, logger: Logger, settings: StreamSettings,
        identities: TenantIdentities?, observer: @escaping @Sendable (StreamWorkerStop) -> Void
    ) {
        self.identities = identities
        self.tenant = tenant
        self.handler = handler
        self.stateDirectory = stateDirectory
        var logger = logger
        logger[metadataKey: "tenant"] = "\(tenant)"
        logger[metadataKey: "handler"] = "\(handler.name)"
        self.logger = logger
        self.settings = settings
        self.observer = observer
        self.bell = coregate_eventfd()
        let now = ContinuousClock.now
        self.state = Mutex(State(workers: (0..<handler.workers).map { index in
            Worker(index: index, restartAt: now, errors: StandardErrorLogger(logger: logger, maxLineBytes: settings.standardErrorLineLimit))
        }))
        let thread = Thread {
            // Named from within: a name given before start() does not reach the kernel (ps, perf).
            Thread.current.name = "coregate-stream"
            self.loop()
        }
        thread.start()
    }

    // MARK: Sending

    /// Sends each run to a worker. Runs that cannot be sent (the pool is stopping, the event is
    /// outstanding already) end at once as not started for want of the gateway's resources: they
    /// are no attempt, and run again shortly.
    func start(_ runs: [HandlerRun], sink: HandlerRunSink) {
        let refused: [HandlerRun.Ended] = state.withLock { state in
            var refused: [HandlerRun.Ended] = []
            var touched = Set<Int>()
            for run in runs {
                guard !state.stopping else {
                    refused.append(notSent(run, "the handler is being stopped or replaced"))
                    continue
                }
                let candidates = state.workers.indices.filter { state.workers[$0].outstanding[run.invocation.eventID] == nil }
                guard let index = candidates.min(by: { state.workers[$0].load < state.workers[$1].load }) else {
                    refused.append(notSent(run, "the event is in flight to this handler already"))
                    continue
                }
                state.workers[index].take(Pending(run: run, sink: sink), now: .now, timeout: handler.timeout)
                touched.insert(index)
            }
            for index in touched where !state.workers[index].flush() { ring() }
            return refused
        }
        if !refused.isEmpty { sink.ended(refused) }
    }

    private func notSent(_ run: HandlerRun, _ reason: String) -> HandlerRun.Ended {
        HandlerRun.Ended(tag: run.tag, result: HandlerResult(outcome: .gatewayShortOf(reason: reason), startedAt: Date(), duration: .zero))
    }

    // MARK: Stopping

    /// Sends no more events, waits for the outstanding answers up to the handler's timeout, then
    /// closes each worker's stdin and waits for it to exit (SIGTERM, then SIGKILL, after the
    /// grace). Returns once every worker is gone.
    func stop() async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let gone = ended.withLock { waiting -> Bool in
                guard waiting != nil else { return true }
                waiting!.append(continuation)
                return false
            }
            if gone {
                continuation.resume()
                return
            }
            requestStop()
        }
    }

    /// Whether every worker is gone after a stop.
    var isStopped: Bool { ended.withLock { $0 == nil } }

    /// ``stop()`` without waiting.
    func requestStop() {
        state.withLock { state in
            if !state.stopping {
                state.stopping = true
                state.drainUntil = .now + handler.timeout
            }
        }
        ring()
    }

    /// Kills every worker now; their outstanding events end as failed attempts.
    func cancel() {
        state.withLock { state in
            state.stopping = true
            state.cancelled = true
        }
        ring()
    }

    deinit {
        if bell >= 0 { close(bell) }
    }

    private func ring() {
        var one: UInt64 = 1
        _ = write(bell, &one, 8)
    }

    // MARK: The thread

    private func loop() {
        let reader = LineReader(lineLimit: settings.lineLimit)
        var fds: [pollfd] = []
        var owners: [PollOwner] = []
        var held = HeldEnds(batch: max(1, handler.workers * handler.maxInflight / 4), bound: settings.answerHoldBound)
        while true {
            var ends: [(HandlerRunSink, HandlerRun.Ended)] = []
            let (wait, outstanding, stopping) = state.withLock { state in
                housekeeping(&state, ends: &ends)
                (fds, owners) = state.pollSet(bell: bell)
                return (state.pollTimeout(now: .now), state.outstanding, state.stopping)
            }
            held.add(ends, now: .now)
            if let batch = held.take(outstanding: outstanding, stopping: stopping, now: .now) { deliver(batch) }
            if state.withLock({ $0.finished }) { break }

            _ = poll(&fds, nfds_t(fds.count), held.pollTimeout(wait, now: .now))
            ends = []
            var bellRang = false
            let (outstandingAfter, stoppingAfter) = state.withLock { state in
                for (fd, owner) in zip(fds, owners) where fd.revents != 0 {
                    switch owner {
                    case .bell:
                        bellRang = true
                    case .output(let index):
                        readAnswers(&state, worker: index, reader: reader, ends: &ends)
                    case .errors(let index):
                        state.workers[index].readErrors(reader: reader)
                    case .input(let index):
                        _ = state.workers[index].flush()
                    case .exit(let index):
                        // What it wrote before it went is answered first.
                        readAnswers(&state, worker: index, reader: reader, ends: &ends)
                        if state.workers[index].child != nil { workerExited(&state, worker: index, reader: reader, ends: &ends) }
                    case .dying(let position):
                        state.dying[position].exited = true
                    }
                }
                return (state.outstanding, state.stopping)
            }
            if bellRang {
                var count: UInt64 = 0
                _ = read(bell, &count, 8)
            }
            held.add(ends, now: .now)
            if let batch = held.take(outstanding: outstandingAfter, stopping: stoppingAfter, now: .now) { deliver(batch) }
        }
        let waiting = ended.withLock { waiting in
            defer { waiting = nil }
            return waiting ?? []
        }
        waiting.forEach { $0.resume() }
    }

    /// Ends runs outside the lock: the callee may pump the dispatcher and send more on this thread.
    private func deliver(_ ends: [(HandlerRunSink, HandlerRun.Ended)]) {
        guard !ends.isEmpty else { return }
        var batches: [ObjectIdentifier: (HandlerRunSink, [HandlerRun.Ended])] = [:]
        var order: [ObjectIdentifier] = []
        for (sink, end) in ends {
            let id = ObjectIdentifier(sink)
            if batches[id] == nil { order.append(id) }
            batches[id, default: (sink, [])].1.append(end)
        }
        for id in order {
            let (sink, batch) = batches[id]!
            sink.ended(batch)
        }
    }

    /// Timeouts, restarts, the stop, and reaping: whatever the clock or a flag asks for.
    private func housekeeping(_ state: inout State, ends: inout [(HandlerRunSink, HandlerRun.Ended)]) {
        let now = ContinuousClock.now
        if state.cancelled {
            for index in state.workers.indices where state.workers[index].child != nil || !state.workers[index].held.isEmpty {
                stopWorker(&state, index, reason: .cancelled, detail: "the service is stopping now", ends: &ends, restart: false)
            }
            for position in state.dying.indices { state.dying[position].child.signalGroup(SIGKILL) }
        }
        for index in state.workers.indices {
            if let closed = state.workers[index].outputClosedAt, now >= closed + Self.exitWait,
                !(state.stopping && state.workers[index].outstanding.isEmpty)
            {
                stopWorker(&state, index, reason: .closedOutput, detail: "closed its stdout", ends: &ends, restart: !state.stopping)
            }
            if let (id, _) = state.workers[index].overdue(now: now) {
                stopWorker(
                    &state, index, reason: .timeout,
                    detail: "event \(id) not answered within \(handler.timeout)", timedOut: id, ends: &ends, restart: !state.stopping)
            }
        }
        if state.stopping {
            for index in state.workers.indices {
                state.workers[index].restartAt = nil
                for pending in state.workers[index].held {
                    ends.append((pending.sink, notSent(pending.run, "the handler is being stopped or replaced")))
                }
                state.workers[index].held = []
                let drained = state.workers[index].outstanding.isEmpty
                if let until = state.drainUntil, !drained, now >= until {
                    // Past the stop's wait: what is still out is a failed attempt, as any timeout.
                    stopWorker(&state, index, reason: .timeout, detail: "not answered before the stop", ends: &ends, restart: false)
                } else if drained, state.workers[index].child != nil {
                    // A worker exits on end of input; it gets the grace to do so, then the signals.
                    state.workers[index].closeInput()
                    if state.workers[index].exitBy == nil { state.workers[index].exitBy = now + settings.terminationGrace }
                    if let by = state.workers[index].exitBy, now >= by {
                        stopWorker(&state, index, reason: nil, detail: "did not exit on end of input", ends: &ends, restart: false)
                    }
                }
            }
        } else {
            for index in state.workers.indices {
                if let at = state.workers[index].restartAt, now >= at { spawn(&state, index, ends: &ends) }
            }
        }
        for position in state.dying.indices.reversed() {
            if state.dying[position].exited || state.dying[position].child.pidfd < 0 && Self.hasExited(state.dying[position].child) {
                var child = state.dying.remove(at: position).child
                child.signalGroup(SIGKILL)
                _ = child.reap()
            } else if let at = state.dying[position].killAt, now >= at {
                state.dying[position].child.signalGroup(SIGKILL)
                state.dying[position].killAt = nil
            }
        }
        state.finished = state.stopping && state.dying.isEmpty
            && state.workers.allSatisfy { $0.child == nil && $0.outstanding.isEmpty && $0.held.isEmpty }
    }

    /// How long a worker whose stdout closed may take to exit before it counts as one that closed
    /// stdout and stayed.
    static let exitWait: Duration = .milliseconds(200)

    private static func hasExited(_ child: ChildProcess) -> Bool {
        var info = siginfo_t()
        return waitid(P_PID, id_t(child.pid), &info, WEXITED | WNOHANG | WNOWAIT) != 0 || info._sifields._sigchld.si_pid != 0
    }

    private func spawn(_ state: inout State, _ index: Int, ends: inout [(HandlerRunSink, HandlerRun.Ended)]) {
        state.workers[index].restartAt = nil
        let failure: HandlerOutcome?
        if let program = handler.command.first, !program.isEmpty {
            failure = start(&state.workers[index], program: program)
        } else {
            failure = .couldNotStart(reason: "the handler has no command")
        }
        guard let failure else { return }
        let reason: String
        switch failure {
        case .couldNotStart(let why), .gatewayShortOf(let why): reason = why
        default: reason = "\(failure)"
        }
        logger.error("cannot start a stream worker; trying again after a pause", metadata: ["worker": "\(index)", "reason": "\(reason)"])
        observer(StreamWorkerStop(tenant: tenant, handler: handler.name, reason: .couldNotStart))
        for pending in state.workers[index].held {
            ends.append((pending.sink, HandlerRun.Ended(
                tag: pending.run.tag, result: HandlerResult(outcome: failure, startedAt: Date(), duration: .zero))))
        }
        state.workers[index].held = []
        state.workers[index].scheduleRestart(now: .now, settings: settings)
    }

    /// Nil once the worker runs; otherwise why it could not start.
    private func start(_ worker: inout Worker, program: String) -> HandlerOutcome? {
        let identity: HandlerIdentity?
        switch HandlerRunner.prepareStateDirectory(stateDirectory, identities: identities) {
        case .success(let prepared): identity = prepared
        case .failure(let problem): return problem.outcome
        }
        let environment = HandlerEnvironment.streamWorker(tenant: tenant, handler: handler, stateDirectory: stateDirectory)
        guard let path = HandlerRunner.resolve(program, path: environment["PATH"] ?? HandlerEnvironment.defaultPATH) else {
            return .couldNotStart(reason: LaunchFailure.reason(program: program, path: environment["PATH"]))
        }
        let child: ChildProcess
        do {
            child = try ChildProcess.spawn(
                path: path, arguments: [program] + handler.command.dropFirst(),
                environment: environment.map { $0.key + "=" + $0.value }, workingDirectory: stateDirectory,
                identity: identity)
        } catch where error.isResourceShortage {
            return .gatewayShortOf(reason: "cannot start \(program): \(error.description)")
        } catch {
            return .couldNotStart(reason: LaunchFailure.reason(program: program, path: environment["PATH"], spawnError: error.description))
        }
        worker.started(child, now: .now, timeout: handler.timeout)
        logger.info("stream worker started", metadata: ["worker": "\(worker.index)", "pid": "\(child.pid)"])
        return nil
    }

    private func readAnswers(_ state: inout State, worker index: Int, reader: LineReader, ends: inout [(HandlerRunSink, HandlerRun.Ended)]) {
        guard state.workers[index].child != nil else { return }
        let fd = state.workers[index].standardOutput
        guard fd >= 0 else { return }
        let (lines, end) = reader.read(fd, into: &state.workers[index].partialLine)
        for line in lines {
            switch state.workers[index].answer(line, detailLimit: settings.detailLimit) {
            case .ended(let pending, let result):
                ends.append((pending.sink, HandlerRun.Ended(tag: pending.run.tag, result: result)))
            case .refused(let reason, let detail):
                stopWorker(&state, index, reason: reason, detail: detail, ends: &ends, restart: !state.stopping)
                return
            }
        }
        switch end {
        case .open:
            break
        case .closed:
            // Usually the process is exiting: its pidfd says so in a moment, and the log then says
            // how it ended. One that stays is stopped after `exitWait` (see ``housekeeping``).
            state.workers[index].closeOutput()
            state.workers[index].outputClosedAt = .now
        case .lineTooLong:
            stopWorker(
                &state, index, reason: .lineTooLong, detail: "wrote a line longer than \(settings.lineLimit) bytes",
                ends: &ends, restart: !state.stopping)
        }
    }

    private func workerExited(
        _ state: inout State, worker index: Int, reader: LineReader, ends: inout [(HandlerRunSink, HandlerRun.Ended)]
    ) {
        guard var child = state.workers[index].child else { return }
        state.workers[index].readErrors(reader: reader)
        state.workers[index].errors.finish()
        let expected = state.stopping && state.workers[index].outstanding.isEmpty
        state.workers[index].detach()
        child.signalGroup(SIGKILL)
        let termination = child.reap()
        let how =
            switch termination {
            case .exited(let status): "exited with status \(status)"
            case .signaled(let signal): "was killed by signal \(signal)"
            }
        if expected {
            logger.info("stream worker stopped", metadata: ["worker": "\(index)", "how": "\(how)"])
            return
        }
        report(index, reason: .exited, detail: how)
        failOutstanding(&state, index, detail: "the worker \(how)", timedOut: nil, ends: &ends)
        if !state.stopping { state.workers[index].scheduleRestart(now: .now, settings: settings) }
    }

    /// Stops the worker's process, ends its outstanding events as failed attempts, and schedules
    /// its restart. `reason` nil: an orderly stop, not a failure.
    private func stopWorker(
        _ state: inout State, _ index: Int, reason: StreamWorkerStop.Reason?, detail: String, timedOut: String? = nil,
        ends: inout [(HandlerRunSink, HandlerRun.Ended)], restart: Bool
    ) {
        if let reason { report(index, reason: reason, detail: detail) }
        if var child = state.workers[index].child {
            state.workers[index].errors.finish()
            state.workers[index].detach()
            child.signalGroup(state.cancelled ? SIGKILL : SIGTERM)
            child.closePipes()
            state.dying.append(Dying(child: child, killAt: .now + settings.terminationGrace))
        }
        failOutstanding(&state, index, detail: "the worker was stopped: \(detail)", timedOut: timedOut, ends: &ends)
        if state.cancelled || !restart {
            for pending in state.workers[index].held {
                ends.append((pending.sink, notSent(pending.run, "the handler is being stopped")))
            }
            state.workers[index].held = []
        }
        if restart { state.workers[index].scheduleRestart(now: .now, settings: settings) }
    }

    private func failOutstanding(
        _ state: inout State, _ index: Int, detail: String, timedOut: String?, ends: inout [(HandlerRunSink, HandlerRun.Ended)]
    ) {
        let now = ContinuousClock.now
        for (id, pending) in state.workers[index].outstanding {
            let outcome: HandlerOutcome = id == timedOut ? .timedOut : .workerFailed(reason: detail)
            ends.append((pending.sink, HandlerRun.Ended(
                tag: pending.run.tag, result: HandlerResult(outcome: outcome, startedAt: pending.startedAt, duration: now - pending.sent))))
        }
        state.workers[index].forgetOutstanding()
    }

    private func report(_ index: Int, reason: StreamWorkerStop.Reason, detail: String) {
        logger.warning(
            "stream worker stopped; its unanswered events are failed attempts and it starts again after a pause",
            metadata: ["worker": "\(index)", "reason": "\(reason.rawValue)", "detail": "\(detail)"])
        observer(StreamWorkerStop(tenant: tenant, handler: handler.name, reason: reason))
    }
}

/// Why a stream worker was stopped, for the log and the metric.
public struct StreamWorkerStop: Sendable {
    public enum Reason: String, Sendable, CaseIterable {
        case exited
        case closedOutput = "closed_stdout"
        case garbage
        case unknownID = "unknown_id"
        case duplicateAnswer = "duplicate_answer"
        case lineTooLong = "line_too_long"
        case timeout
        case couldNotStart = "could_not_start"
        case cancelled
    }

    public var tenant: String
    public var handler: String
    public var reason: Reason
}

/// Limits of the stream transport, the same for every handler.
public struct StreamSettings: Sendable {
    /// Between SIGTERM and SIGKILL, and for a worker to exit once its stdin is closed.
    public var terminationGrace: Duration = .seconds(2)
    /// An answer line longer than this stops the worker: it floods, and memory stays bounded.
    public var lineLimit = 1 << 20
    public var standardErrorLineLimit = 4 << 10
    /// How much of an answer's `detail` is kept with the attempt, as exec mode keeps stdout.
    public var detailLimit = 64 << 10
    /// How long an answer may wait for others to be recorded with it (see `HeldEnds`).
    public var answerHoldBound: Duration = .milliseconds(2)
    public var restartBackoffInitial: Duration = .milliseconds(100)
    public var restartBackoffMax: Duration = .seconds(30)

    public init() {}
}

/// Runs that ended and wait to be handed on together.
///
/// A worker that flushes each answer makes this thread wake for each one; handed on one by one,
/// every answer would cost a store transaction of its own, and the fixed price of a transaction
/// (its commit, the pages it rewrites) would be paid per event. So answers are held until a
/// quarter of the handler's capacity has come, or until `bound` has passed since the first was
/// held, or until nothing else is in flight (then nothing more is coming to wait for). The
/// events still outstanding keep the workers busy meanwhile.
private struct HeldEnds {
    let batch: Int
    let bound: Duration
    private var ends: [(HandlerRunSink, HandlerRun.Ended)] = []
    private var since: ContinuousClock.Instant?

    init(batch: Int, bound: Duration) {
        self.batch = batch
        self.bound = bound
    }

    mutating func add(_ more: [(HandlerRunSink, HandlerRun.Ended)], now: ContinuousClock.Instant) {
        guard !more.isEmpty else { return }
        if ends.isEmpty { since = now }
        ends += more
    }

    /// The runs to hand on now, if it is time.
    mutating func take(outstanding: Int, stopping: Bool, now: ContinuousClock.Instant) -> [(HandlerRunSink, HandlerRun.Ended)]? {
        guard let since, !ends.isEmpty else { return nil }
        guard ends.count >= batch || outstanding == 0 || stopping || now >= since + bound else { return nil }
        defer {
            ends.removeAll(keepingCapacity: true)
            self.since = nil
        }
        return ends
    }

    /// The poll's timeout in milliseconds: no later than when the held runs are due.
    func pollTimeout(_ timeout: Int32, now: ContinuousClock.Instant) -> Int32 {
        guard let since, !ends.isEmpty else { return timeout }
        let (seconds, attoseconds) = max(since + bound - now, .zero).components
        let due = Int32(clamping: seconds * 1000 + (attoseconds + 999_999_999_999_999) / 1_000_000_000_000_000)
        return timeout < 0 ? due : min(timeout, due)
    }
}

private struct Pending {
    var run: HandlerRun
    var sink: HandlerRunSink
    var sent = ContinuousClock.now
    var startedAt = Date()
}

private struct Dying {
    var child: ChildProcess
    var killAt: ContinuousClock.Instant?
    var exited = false
}

private enum PollOwner {
    case bell
    case output(Int)
    case errors(Int)
    case input(Int)
    case exit(Int)
    case dying(Int)
}

extension StreamPool {
    fileprivate struct State {
        var workers: [Worker]
        var dying: [Dying] = []
        var stopping = false
        var cancelled = false
        var drainUntil: ContinuousClock.Instant?
        var finished = false

        /// Events sent or waiting to be sent, and not yet answered.
        var outstanding: Int { workers.reduce(0) { $0 + $1.load } }

        func pollSet(bell: Int32) -> ([pollfd], [PollOwner]) {
            var fds = [pollfd(fd: bell, events: Int16(POLLIN), revents: 0)]
            var owners = [PollOwner.bell]
            func add(_ fd: Int32, _ events: Int32, _ owner: PollOwner) {
                guard fd >= 0 else { return }
                fds.append(pollfd(fd: fd, events: Int16(events), revents: 0))
                owners.append(owner)
            }
            for (index, worker) in workers.enumerated() {
                guard let child = worker.child else { continue }
                add(worker.standardOutput, POLLIN, .output(index))
                add(worker.standardError, POLLIN, .errors(index))
                if worker.hasUnsent { add(worker.standardInput, POLLOUT, .input(index)) }
                add(child.pidfd, POLLIN, .exit(index))
            }
            for (position, dying) in dying.enumerated() { add(dying.child.pidfd, POLLIN, .dying(position)) }
            return (fds, owners)
        }

        /// Milliseconds until the next deadline, -1 for none.
        func pollTimeout(now: ContinuousClock.Instant) -> Int32 {
            var next: [ContinuousClock.Instant] = []
            for worker in workers {
                if let at = worker.nextDeadline { next.append(at) }
                if let at = worker.restartAt { next.append(at) }
                if let at = worker.exitBy { next.append(at) }
                if let at = worker.outputClosedAt { next.append(at + StreamPool.exitWait) }
                // Without a pidfd an exit is polled for.
                if let child = worker.child, child.pidfd < 0 { next.append(now + .milliseconds(10)) }
            }
            for dying in dying {
                if let at = dying.killAt { next.append(at) }
                if dying.child.pidfd < 0 { next.append(now + .milliseconds(10)) }
            }
            if stopping, let until = drainUntil { next.append(until) }
            guard let first = next.min() else { return -1 }
            let (seconds, attoseconds) = max(first - now, .zero).components
            // Rounded up, so a deadline is never polled for a moment too early and spun on.
            return Int32(clamping: seconds * 1000 + (attoseconds + 999_999_999_999_999) / 1_000_000_000_000_000)
        }
    }

    /// One worker process's life, restarted in place.
    fileprivate struct Worker {
        let index: Int
        var child: ChildProcess?
        var standardInput: Int32 = -1
        var standardOutput: Int32 = -1
        var standardError: Int32 = -1
        /// Sent and not yet answered, by event id.
        var outstanding: [String: Pending] = [:]
        /// Deadlines in the order sent; entries whose event was answered are skipped lazily.
        var deadlines: [(id: String, sent: ContinuousClock.Instant, at: ContinuousClock.Instant)] = []
        var deadlinesStart = 0
        /// Taken while the process was down; sent once it runs.
        var held: [Pending] = []
        var unsent: [UInt8] = []
        var unsentStart = 0
        var partialLine: [UInt8] = []
        /// Ids answered lately, to tell a duplicate answer from an unknown id in the log.
        var recentlyAnswered: [String] = []
        var recentlyAnsweredNext = 0
        var errors: StandardErrorLogger
        var restartAt: ContinuousClock.Instant?
        /// Consecutive failed starts or runs without a single answer, for the restart backoff.
        var failures = 0
        var answeredSinceStart = false
        var exitBy: ContinuousClock.Instant?
        /// When its stdout reached end of file while the process still ran.
        var outputClosedAt: ContinuousClock.Instant?

        init(index: Int, restartAt: ContinuousClock.Instant, errors: StandardErrorLogger) {
            self.index = index
            self.restartAt = restartAt
            self.errors = errors
        }

        var load: Int { outstanding.count + held.count }
        var hasUnsent: Bool { unsentStart < unsent.count }

        var nextDeadline: ContinuousClock.Instant? {
            var position = deadlinesStart
            while position < deadlines.count {
                let entry = deadlines[position]
                if let pending = outstanding[entry.id], pending.sent == entry.sent { return entry.at }
                position += 1
            }
            return nil
        }

        /// The oldest outstanding event past its deadline, if any; answered entries are dropped.
        mutating func overdue(now: ContinuousClock.Instant) -> (String, ContinuousClock.Instant)? {
            while deadlinesStart < deadlines.count {
                let entry = deadlines[deadlinesStart]
                guard let pending = outstanding[entry.id], pending.sent == entry.sent else {
                    deadlinesStart += 1
                    continue
                }
                if deadlinesStart > 1024 && deadlinesStart * 2 > deadlines.count {
                    deadlines.removeFirst(deadlinesStart)
                    deadlinesStart = 0
                }
                return now >= entry.at ? (entry.id, entry.at) : nil
            }
            deadlines.removeAll(keepingCapacity: true)
            deadlinesStart = 0
            return nil
        }

        mutating func take(_ pending: Pending, now: ContinuousClock.Instant, timeout: Duration) {
            guard child != nil, standardInput >= 0 else {
                held.append(pending)
                return
            }
            send(pending, now: now, timeout: timeout)
        }

        private mutating func send(_ pending: Pending, now: ContinuousClock.Instant, timeout: Duration) {
            var pending = pending
            pending.sent = now
            pending.startedAt = Date()
            let id = pending.run.invocation.eventID
            outstanding[id] = pending
            deadlines.append((id, now, now + timeout))
            unsent.append(contentsOf: pending.run.invocation.eventJSON)
            unsent.append(UInt8(ascii: "\n"))
        }

        mutating func started(_ child: ChildProcess, now: ContinuousClock.Instant, timeout: Duration) {
            self.child = child
            (standardInput, standardOutput, standardError) = (child.standardInput, child.standardOutput, child.standardError)
            answeredSinceStart = false
            exitBy = nil
            partialLine = []
            let waiting = held
            held = []
            for pending in waiting { send(pending, now: now, timeout: timeout) }
            _ = flush()
        }

        /// Writes what the pipe takes now; false when some is left for POLLOUT.
        mutating func flush() -> Bool {
            guard standardInput >= 0 else { return true }
            if PipeWrite.write(unsent, from: &unsentStart, to: standardInput) == .wouldBlock { return false }
            unsent.removeAll(keepingCapacity: unsent.capacity <= 1 << 20)
            unsentStart = 0
            return true
        }

        enum AnswerResult {
            case ended(Pending, HandlerResult)
            case refused(StreamWorkerStop.Reason, String)
        }

        mutating func answer(_ line: [UInt8], detailLimit limit: Int) -> AnswerResult {
            let answer: StreamAnswer
            do {
                answer = try StreamAnswer(line: line)
            } catch {
                return .refused(.garbage, "wrote a line that is not an answer (\(error.description))")
            }
            guard let pending = outstanding.removeValue(forKey: answer.id) else {
                return recentlyAnswered.contains(answer.id)
                    ? .refused(.duplicateAnswer, "answered event \(answer.id) twice")
                    : .refused(.unknownID, "answered event \(answer.id), which it was not sent")
            }
            remember(answer.id)
            answeredSinceStart = true
            failures = 0
            let outcome: HandlerOutcome =
                switch answer.status {
                case .done: .succeeded
                case .retry: .retryRequested
                case .failed: .answeredFailed
                }
            let detail = Array(answer.detail.utf8)
            var result = HandlerResult(
                outcome: outcome, startedAt: pending.startedAt, duration: .now - pending.sent,
                standardOutput: Array(detail.prefix(limit)), standardOutputTruncated: detail.count > limit)
            result.addressReplies(answer.actions, for: pending.run.invocation)
            return .ended(pending, result)
        }

        private mutating func remember(_ id: String) {
            let capacity = 4096
            if recentlyAnswered.count < capacity {
                recentlyAnswered.append(id)
            } else {
                recentlyAnswered[recentlyAnsweredNext] = id
                recentlyAnsweredNext = (recentlyAnsweredNext + 1) % capacity
            }
        }

        mutating func readErrors(reader: LineReader) {
            guard standardError >= 0 else { return }
            if !reader.drain(standardError, into: { errors.consume($0) }) {
                close(standardError)
                standardError = -1
                child?.standardError = -1
            }
        }

        mutating func closeInput() {
            guard standardInput >= 0 else { return }
            close(standardInput)
            standardInput = -1
            child?.standardInput = -1
            unsent = []
            unsentStart = 0
        }

        mutating func closeOutput() {
            guard standardOutput >= 0 else { return }
            close(standardOutput)
            standardOutput = -1
            child?.standardOutput = -1
        }

        /// Forgets the process (now dying or reaped); the caller owns it.
        mutating func detach() {
            child = nil
            (standardInput, standardOutput, standardError) = (-1, -1, -1)
            unsent = []
            unsentStart = 0
            partialLine = []
            exitBy = nil
            outputClosedAt = nil
        }

        mutating func forgetOutstanding() {
            outstanding = [:]
            deadlines = []
            deadlinesStart = 0
        }

        mutating func scheduleRestart(now: ContinuousClock.Instant, settings: StreamSettings) {
            if !answeredSinceStart { failures += 1 }
            answeredSinceStart = false
            let factor = 1 << min(max(failures - 1, 0), 20)
            restartAt = now + min(settings.restartBackoffInitial * factor, settings.restartBackoffMax)
        }
    }
}

extension ChildProcess {
    /// Closes the parent's ends of the pipes, keeping the pidfd to learn when it exits.
    mutating func closePipes() {
        for fd in [standardInput, standardOutput, standardError] where fd >= 0 { close(fd) }
        (standardInput, standardOutput, standardError) = (-1, -1, -1)
    }
}

/// Reads a worker's pipes through one buffer and splits stdout into lines, bounded.
private final class LineReader {
    let lineLimit: Int
    private let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 64 << 10, alignment: 1)

    init(lineLimit: Int) {
        self.lineLimit = lineLimit
    }

    deinit {
        buffer.deallocate()
    }

    enum End {
        case open
        case closed
        case lineTooLong
    }

    /// Every whole line the pipe holds now; the rest waits in `partial`.
    func read(_ fd: Int32, into partial: inout [UInt8]) -> ([[UInt8]], End) {
        var lines: [[UInt8]] = []
        var end = End.open
        let open = drain(fd) { chunk in
            guard end == .open, var start = chunk.baseAddress else { return }
            let stop = start + chunk.count
            while start < stop {
                if let found = memchr(start, Int32(UInt8(ascii: "\n")), stop - start) {
                    let newline = UnsafeRawPointer(found)
                    partial.append(contentsOf: UnsafeRawBufferPointer(start: start, count: newline - start))
                    if partial.last == UInt8(ascii: "\r") { partial.removeLast() }
                    if !partial.isEmpty { lines.append(partial) }
                    partial.removeAll(keepingCapacity: true)
                    start = newline + 1
                } else {
                    partial.append(contentsOf: UnsafeRawBufferPointer(start: start, count: stop - start))
                    start = stop
                }
                if partial.count > lineLimit {
                    end = .lineTooLong
                    return
                }
            }
        }
        if end == .open && !open { end = .closed }
        return (lines, end)
    }

    /// Reads until the pipe is empty; false at end of file.
    @discardableResult
    func drain(_ fd: Int32, into consume: (UnsafeRawBufferPointer) -> Void) -> Bool {
        drainPipe(fd, through: buffer, into: consume)
    }
}

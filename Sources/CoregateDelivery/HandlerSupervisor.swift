import Logging
import Subprocess

/// What the runner saw of a handler while it ran.
struct Supervision: Sendable {
    var standardOutput: BoundedOutput
    var standardErrorLineCount: Int
    var timedOut: Bool
}

/// Looks after one running handler: feeds it its event, drains its stdout and stderr, and
/// enforces its timeout on its whole process group.
struct HandlerSupervisor: Sendable {
    let timeout: Duration
    let terminationGrace: Duration
    let standardOutputLimit: Int
    let standardErrorLineLimit: Int
    /// Carries the tenant, handler and event id.
    let standardErrorLogger: Logger

    typealias HandlerExecution = Execution<CustomWriteInput, SequenceOutput, SequenceOutput>

    /// Returns once the handler has exited and its output is read.
    func supervise(_ execution: HandlerExecution, input: [UInt8]) async -> Supervision {
        // stdin, stdout and stderr all at once: a handler may write before it reads, or never read.
        async let inputWritten: Void = Self.write(input, to: execution.standardInputWriter)
        async let standardOutput = collect(execution.standardOutput)
        async let standardErrorLineCount = logLines(of: execution.standardError)
        let timedOut = await waitForExit(of: execution)
        // What the handler left running in its group goes with it: a handler's work ends when it
        // exits. Safe because the handler is not reaped yet, so its group id is still its own.
        try? execution.send(signal: .kill, toProcessGroup: true)
        // These end soon after the exit even if a killed grandchild held the pipes: swift-subprocess
        // cancels pending I/O once the handler is gone, after reading what is already buffered.
        await inputWritten
        return Supervision(
            standardOutput: await standardOutput, standardErrorLineCount: await standardErrorLineCount,
            timedOut: timedOut)
    }

    /// Waits for the handler to exit. Past its timeout its process group gets SIGTERM, and SIGKILL
    /// after the grace period. Returns whether the timeout struck.
    private func waitForExit(of execution: HandlerExecution) async -> Bool {
        enum Event: Sendable { case exited, deadline, cancelled }
        @Sendable func sleep(_ duration: Duration) async -> Event {
            do {
                try await Task.sleep(for: duration)
                return .deadline
            } catch {
                return .cancelled
            }
        }
        let timeout = timeout
        let terminationGrace = terminationGrace
        return await withTaskGroup(of: Event.self) { group in
            group.addTask {
                await ProcessExit.wait(for: execution.processIdentifier)
                return .exited
            }
            group.addTask { await sleep(timeout) }
            var timedOut = false
            while let event = await group.next() {
                switch event {
                case .exited:
                    group.cancelAll()
                    return timedOut
                case .deadline where !timedOut:
                    timedOut = true
                    try? execution.send(signal: .terminate, toProcessGroup: true)
                    group.addTask { await sleep(terminationGrace) }
                case .deadline:
                    try? execution.send(signal: .kill, toProcessGroup: true)
                case .cancelled:
                    // The service is stopping: swift-subprocess's teardown sequence stops the
                    // handler, and the exit watcher still reports when it is gone.
                    continue
                }
            }
            return timedOut  // not reached: the exit watcher always finishes
        }
    }

    private static func write(_ input: [UInt8], to writer: StandardInputWriter) async {
        // A handler need not read its event. Writing to one that exited fails with EPIPE
        // (SIGPIPE is ignored): that is the handler's business, and its exit status tells.
        _ = try? await writer.write(input)
        try? await writer.finish()
    }

    private func collect(_ output: SubprocessOutputSequence) async -> BoundedOutput {
        var kept = BoundedOutput(limit: standardOutputLimit)
        do {
            for try await chunk in output {
                chunk.withUnsafeBytes { kept.append($0) }
            }
        } catch {
            standardErrorLogger.warning("reading the handler's stdout failed: \(error)")
        }
        return kept
    }

    private func logLines(of errorOutput: SubprocessOutputSequence) async -> Int {
        var lines = StandardErrorLogger(logger: standardErrorLogger, maxLineBytes: standardErrorLineLimit)
        do {
            for try await chunk in errorOutput {
                chunk.withUnsafeBytes { lines.consume($0) }
            }
        } catch {
            standardErrorLogger.warning("reading the handler's stderr failed: \(error)")
        }
        lines.finish()
        return lines.lineCount
    }
}

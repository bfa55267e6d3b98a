import CSpawn
import Logging
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// What the runner saw of a handler while it ran.
struct Supervision {
    var termination: ChildProcess.Termination
    var standardOutput: BoundedOutput
    var standardErrorLineCount: Int
    var timedOut: Bool
}

/// Looks after one running handler on a thread of its own: feeds it its event, drains its stdout
/// and stderr, and enforces its timeout on its whole process group, all in one `poll` loop over
/// the pipes, the pidfd and a cancel signal. The handler's thread blocks in `poll` and nothing
/// else does: no event loop, no task of the cooperative pool.
struct HandlerSupervisor {
    let timeout: Duration
    let terminationGrace: Duration
    let standardOutputLimit: Int
    let standardErrorLineLimit: Int
    /// Carries the tenant, handler and event id.
    let standardErrorLogger: Logger

    /// Returns once the handler has exited, its leftovers in its group are killed, and it is reaped.
    func supervise(_ child: inout ChildProcess, input: [UInt8], cancellation: HandlerCancellation) -> Supervision {
        var output = BoundedOutput(limit: standardOutputLimit)
        var errorLines = StandardErrorLogger(logger: standardErrorLogger, maxLineBytes: standardErrorLineLimit)
        var written = 0
        var timedOut = false
        let clock = ContinuousClock()
        var terminateAt: ContinuousClock.Instant? = clock.now + timeout
        var killAt: ContinuousClock.Instant?
        // One pipe buffer's worth, for both pipes, for the whole run.
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 64 << 10, alignment: 1)
        defer { buffer.deallocate() }

        // Slots: stdin, stdout, stderr, exit, cancel. A closed one gets fd -1, which poll skips.
        var fds = [
            pollfd(fd: input.isEmpty ? -1 : child.standardInput, events: Int16(POLLOUT), revents: 0),
            pollfd(fd: child.standardOutput, events: Int16(POLLIN), revents: 0),
            pollfd(fd: child.standardError, events: Int16(POLLIN), revents: 0),
            pollfd(fd: child.pidfd, events: Int16(POLLIN), revents: 0),
            pollfd(fd: cancellation.descriptor, events: Int16(POLLIN), revents: 0),
        ]
        // The pipe is empty and takes 64 KiB: most events are written here at once, without a poll.
        if input.isEmpty || writeInput(input, written: &written, to: child.standardInput) {
            closeInput(&child)
            fds[0].fd = -1
        }

        func stop(after grace: Duration) {
            child.signalGroup(SIGTERM)
            terminateAt = nil
            killAt = clock.now + grace
        }

        while !exited(child, fds[3]) {
            let next = [terminateAt, killAt].compactMap { $0 }.min()
            // Without a pidfd the exit is polled for.
            let wait = child.pidfd < 0 ? .milliseconds(10) : next.map { max($0 - clock.now, .zero) }
            _ = poll(&fds, nfds_t(fds.count), wait.map(Self.milliseconds) ?? -1)

            if fds[0].revents != 0 && writeInput(input, written: &written, to: child.standardInput) {
                closeInput(&child)
                fds[0].fd = -1
            }
            if fds[1].revents != 0 && !drainPipe(fds[1].fd, through: buffer, into: { output.append($0) }) { fds[1].fd = -1 }
            if fds[2].revents != 0 && !drainPipe(fds[2].fd, through: buffer, into: { errorLines.consume($0) }) { fds[2].fd = -1 }
            if fds[4].revents != 0 {
                // The caller was cancelled (the service is stopping): stop the handler as a timeout does.
                fds[4].fd = -1
                stop(after: terminationGrace)
            }
            let now = clock.now
            if let at = terminateAt, now >= at {
                timedOut = true
                stop(after: terminationGrace)
            } else if let at = killAt, now >= at {
                child.signalGroup(SIGKILL)
                killAt = nil
            }
        }
        // What the handler left running in its group goes with it: a handler's work ends when it exits.
        child.signalGroup(SIGKILL)
        // What it wrote before exiting is in the pipes; a grandchild that holds them is not waited for.
        if fds[1].fd >= 0 { _ = drainPipe(fds[1].fd, through: buffer, into: { output.append($0) }) }
        if fds[2].fd >= 0 { _ = drainPipe(fds[2].fd, through: buffer, into: { errorLines.consume($0) }) }
        errorLines.finish()
        let termination = child.reap()
        return Supervision(
            termination: termination, standardOutput: output, standardErrorLineCount: errorLines.lineCount,
            timedOut: timedOut)
    }

    private func exited(_ child: ChildProcess, _ exit: pollfd) -> Bool {
        if child.pidfd >= 0 { return exit.revents != 0 }
        var info = siginfo_t()
        return waitid(P_PID, id_t(child.pid), &info, WEXITED | WNOHANG | WNOWAIT) != 0
            || info._sifields._sigchld.si_pid != 0
    }

    /// Writes what the pipe takes now; true once all is written or the handler stopped reading
    /// (EPIPE: SIGPIPE is ignored, and the handler's exit status tells whether that was fine).
    private func writeInput(_ input: [UInt8], written: inout Int, to fd: Int32) -> Bool {
        PipeWrite.write(input, from: &written, to: fd) != .wouldBlock
    }

    private func closeInput(_ child: inout ChildProcess) {
        close(child.standardInput)
        child.standardInput = -1
    }

    private static func milliseconds(_ duration: Duration) -> Int32 {
        let (seconds, attoseconds) = duration.components
        // Rounded up, so a deadline is never polled for a moment too early and spun on.
        return Int32(clamping: seconds * 1000 + (attoseconds + 999_999_999_999_999) / 1_000_000_000_000_000)
    }
}

/// Stops a running handler from another thread, as a timeout does: the service is stopping.
/// It interrupts the supervisor's `poll` through an eventfd.
public final class HandlerCancellation: Sendable {
    private let fd: Mutex<Int32>

    public init() {
        fd = Mutex(coregate_eventfd())
    }

    /// -1 when no eventfd could be made (out of descriptors): the run is then not started.
    var descriptor: Int32 { fd.withLock { $0 } }

    public func cancel() {
        fd.withLock { fd in
            guard fd >= 0 else { return }
            var one: UInt64 = 1
            _ = write(fd, &one, 8)
        }
    }

    /// After the run; a late `cancel()` then does nothing, rather than write to a reused descriptor.
    func close() {
        fd.withLock { fd in
            if fd >= 0 { Glibc.close(fd) }
            fd = -1
        }
    }
}

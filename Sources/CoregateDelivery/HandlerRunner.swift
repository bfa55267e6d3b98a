import CoregateStore
import CoregateTenants
import Foundation
import Logging

#if canImport(Glibc)
import Glibc
#endif

/// Runs one handler once on one event, CGI-style (SPEC §7), and says how it ended.
///
/// It never throws: whatever goes wrong, even before the handler starts, is an outcome the queue
/// must record and act on.
///
/// Each run takes a thread for as long as the handler runs: spawn, then one `poll` loop over its
/// pipes and its pidfd (``HandlerSupervisor``), then one hop back to the caller. Handler slots
/// bound how many run at once, and so how many threads this takes.
///
/// When the calling task is cancelled (the service is stopping), the handler's process group gets
/// SIGTERM, then SIGKILL after `terminationGrace`, and the result says how the handler ended
/// (usually `.signaled`).
public struct HandlerRunner: Sendable {
    private let logger: Logger
    /// Between SIGTERM and SIGKILL to the handler's process group after a timeout.
    public let terminationGrace: Duration
    /// How much of stdout is kept with the attempt.
    public let standardOutputLimit: Int
    /// Longer stderr lines are cut before they are logged.
    public let standardErrorLineLimit: Int
    /// How far below the gateway's own CPU priority queue-mode handlers run (nice). Nobody waits
    /// on a queued delivery, while a sender waits on every answer: when the CPU is short, storing
    /// events and answering senders come first, and the queue drains with what is left. Direct-mode
    /// handlers keep the gateway's priority, since their request waits on them.
    public static let queueNiceness: Int32 = 10
    /// Each tenant's uid (`handler_uids`); nil: handlers run as the service's own user.
    public let identities: TenantIdentities?

    /// Ignores SIGPIPE in the whole service (the first runner made does it).
    ///
    /// A handler may exit without reading its event; writing the rest of stdin then fails with
    /// EPIPE, and SIGPIPE's default action would kill the service. Handlers are unaffected: the
    /// spawn resets every signal to its default in the child.
    public init(
        logger: Logger, terminationGrace: Duration = .seconds(2), standardOutputLimit: Int = 64 << 10,
        standardErrorLineLimit: Int = 4 << 10, identities: TenantIdentities? = nil
    ) {
        _ = sigpipeIgnored
        self.logger = logger
        self.terminationGrace = terminationGrace
        self.standardOutputLimit = standardOutputLimit
        self.standardErrorLineLimit = standardErrorLineLimit
        self.identities = identities
    }

    /// Runs the handler and returns how it ended.
    public func run(_ invocation: HandlerInvocation) async -> HandlerResult {
        let cancellation = HandlerCancellation()
        return await withTaskCancellationHandler {
            await withCheckedContinuation { continuation in
                start(invocation, cancellation: cancellation) { continuation.resume(returning: $0) }
            }
        } onCancel: {
            cancellation.cancel()
        }
    }

    /// Starts the handler on a thread of its own and returns at once; `completion` is called on
    /// that thread with how it ended. `cancellation` stops it early. `niceness` lowers the
    /// handler's CPU priority below the gateway's (see ``queueNiceness``).
    ///
    /// The thread is one of ``HandlerThreads``: a new one when none is idle, so a run never
    /// waits for another to end. `wakingAnotherThread: false` is for a caller that is itself a
    /// handler thread finishing its run: that thread then takes this run next, with no wake-up.
    public func start(
        _ invocation: HandlerInvocation, cancellation: HandlerCancellation, niceness: Int32 = 0,
        wakingAnotherThread: Bool = true, completion: @escaping @Sendable (HandlerResult) -> Void
    ) {
        HandlerThreads.shared.run(wakingAnotherThread: wakingAnotherThread) {
            completion(self.runHere(invocation, cancellation: cancellation, niceness: niceness))
            cancellation.close()
        }
    }

    /// The whole run, blocking the calling thread until the handler is gone.
    private func runHere(_ invocation: HandlerInvocation, cancellation: HandlerCancellation, niceness: Int32) -> HandlerResult {
        let startedAt = Date()
        let start = ContinuousClock.now
        func notStarted(_ outcome: HandlerOutcome) -> HandlerResult {
            HandlerResult(outcome: outcome, startedAt: startedAt, duration: .now - start)
        }

        guard let program = invocation.handler.command.first, !program.isEmpty else {
            return notStarted(.couldNotStart(reason: "the handler has no command"))
        }
        let identity: HandlerIdentity?
        switch Self.prepareStateDirectory(invocation.stateDirectory, identities: identities) {
        case .success(let prepared): identity = prepared
        case .failure(let problem): return notStarted(problem.outcome)
        }
        let environment = HandlerEnvironment.variables(for: invocation)
        guard let path = Self.resolve(program, path: environment["PATH"] ?? HandlerEnvironment.defaultPATH) else {
            return notStarted(.couldNotStart(reason: LaunchFailure.reason(program: program, path: environment["PATH"])))
        }
        guard cancellation.descriptor >= 0 else {
            return notStarted(.gatewayShortOf(reason: "cannot make an eventfd: \(String(cString: strerror(errno)))"))
        }
        let supervisor = HandlerSupervisor(
            timeout: invocation.handler.timeout, terminationGrace: terminationGrace,
            standardOutputLimit: standardOutputLimit, standardErrorLineLimit: standardErrorLineLimit,
            standardErrorLogger: logger(for: invocation))

        var child: ChildProcess
        do {
            child = try ChildProcess.spawn(
                path: path, arguments: [program] + invocation.handler.command.dropFirst(),
                environment: environment.map { $0.key + "=" + $0.value }, workingDirectory: invocation.stateDirectory,
                identity: identity, niceness: niceness)
        } catch where error.isResourceShortage {
            return notStarted(.gatewayShortOf(reason: "cannot start \(program): \(error.description)"))
        } catch {
            return notStarted(
                .couldNotStart(reason: LaunchFailure.reason(program: program, path: environment["PATH"], spawnError: error.description)))
        }
        let seen = supervisor.supervise(&child, input: invocation.standardInput, cancellation: cancellation)
        let outcome: HandlerOutcome =
            if seen.timedOut { .timedOut } else {
                switch seen.termination {
                case .exited(0): .succeeded
                case .exited(75): .retryRequested
                case .exited(let status): .failed(exitStatus: status)
                case .signaled(let signal): .signaled(signal: signal)
                }
            }
        var result = HandlerResult(
            outcome: outcome, startedAt: startedAt, duration: .now - start,
            standardOutput: seen.standardOutput.bytes, standardOutputTruncated: seen.standardOutput.truncated,
            standardErrorLineCount: seen.standardErrorLineCount)
        result.addressExecReplies(for: invocation)
        return result
    }

    /// The state folder, made on first use, and the tenant's identity when handlers have their own.
    /// nil: the handler runs as the service's own user.
    static func prepareStateDirectory(
        _ path: String, identities: TenantIdentities?
    ) -> Result<HandlerIdentity?, TenantIdentities.FolderProblem> {
        if let identities { return identities.prepare(stateDirectory: path).map { $0 } }
        if mkdir(path, 0o700) == 0 || errno == EEXIST { return .success(nil) }
        do {
            try FileManager.default.createDirectory(
                atPath: path, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
            return .success(nil)
        } catch {
            return .failure(
                TenantIdentities.FolderProblem(
                    reason: "cannot create the state folder \(path): \(error.localizedDescription)",
                    isResourceShortage: [EMFILE, ENFILE, ENOMEM, ENOSPC].contains(errno)))
        }
    }

    /// A bare name is looked up in the PATH the handler gets, never in the service's.
    static func resolve(_ program: String, path: String) -> String? {
        if program.contains("/") { return program }
        for folder in path.split(separator: ":", omittingEmptySubsequences: false) {
            let candidate = (folder.isEmpty ? "." : String(folder)) + "/" + program
            var status = stat()
            if stat(candidate, &status) == 0, status.st_mode & S_IFMT == S_IFREG, access(candidate, X_OK) == 0 {
                return candidate
            }
        }
        return nil
    }

    private func logger(for invocation: HandlerInvocation) -> Logger {
        var logger = logger
        logger[metadataKey: "tenant"] = "\(invocation.tenant)"
        logger[metadataKey: "handler"] = "\(invocation.handler.name)"
        logger[metadataKey: "event_id"] = "\(invocation.eventID)"
        return logger
    }
}

private let sigpipeIgnored: Void = {
    _ = signal(SIGPIPE, SIG_IGN)
}()

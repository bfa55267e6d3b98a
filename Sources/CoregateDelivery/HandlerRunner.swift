import CoregateTenants
import Foundation
import Logging
import Subprocess

#if canImport(Glibc)
import Glibc
#endif

/// Runs one handler once on one event, CGI-style (SPEC §7), and says how it ended.
///
/// It never throws: whatever goes wrong, even before the handler starts, is an outcome the queue
/// must record and act on.
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

    /// Ignores SIGPIPE in the whole service (the first runner made does it).
    ///
    /// A handler may exit without reading its event; writing the rest of stdin then fails with
    /// EPIPE, and SIGPIPE's default action would kill the service. Handlers are unaffected:
    /// swift-subprocess resets every signal to its default in the child.
    public init(
        logger: Logger, terminationGrace: Duration = .seconds(2), standardOutputLimit: Int = 64 << 10,
        standardErrorLineLimit: Int = 4 << 10
    ) {
        _ = sigpipeIgnored
        self.logger = logger
        self.terminationGrace = terminationGrace
        self.standardOutputLimit = standardOutputLimit
        self.standardErrorLineLimit = standardErrorLineLimit
    }

    public func run(_ invocation: HandlerInvocation) async -> HandlerResult {
        let startedAt = Date()
        let clock = ContinuousClock()
        let start = clock.now
        func couldNotStart(_ reason: String) -> HandlerResult {
            HandlerResult(outcome: .couldNotStart(reason: reason), startedAt: startedAt, duration: clock.now - start)
        }

        guard let program = invocation.handler.command.first, !program.isEmpty else {
            return couldNotStart("the handler has no command")
        }
        do {
            try FileManager.default.createDirectory(
                atPath: invocation.stateDirectory, withIntermediateDirectories: true,
                attributes: [.posixPermissions: 0o700])
        } catch {
            return couldNotStart("cannot create the state folder \(invocation.stateDirectory): \(error.localizedDescription)")
        }

        let environment = HandlerEnvironment.variables(for: invocation)
        var options = PlatformOptions()
        // The handler leads its own process group, so a timeout can stop everything it started.
        options.processGroupID = 0
        // Used only when the calling task is cancelled (the service is stopping).
        options.teardownSequence = [.gracefulShutDown(toProcessGroup: true, allowedDurationToNextStep: terminationGrace)]
        let platformOptions = options
        let supervisor = HandlerSupervisor(
            timeout: invocation.handler.timeout, terminationGrace: terminationGrace,
            standardOutputLimit: standardOutputLimit, standardErrorLineLimit: standardErrorLineLimit,
            standardErrorLogger: logger(for: invocation))
        let input = invocation.standardInput
        // Every variable name is a valid key; `Environment.Key(rawValue:)` is failable only by protocol.
        let subprocessEnvironment = Dictionary(
            uniqueKeysWithValues: environment.map { (Environment.Key(rawValue: $0.key)!, $0.value) })
        var started = false

        do {
            let result = try await Subprocess.run(
                executable(for: program),
                arguments: Arguments(Array(invocation.handler.command.dropFirst())),
                environment: .custom(subprocessEnvironment),
                // The tenant's own folder rather than wherever the service was started.
                workingDirectory: .init(invocation.stateDirectory),
                platformOptions: platformOptions,
                input: .inputWriter, output: .sequence, error: .sequence
            ) { execution in
                started = true
                return await supervisor.supervise(execution, input: input)
            }
            let seen = result.closureResult
            return HandlerResult(
                outcome: seen.timedOut ? .timedOut : Self.outcome(of: result.terminationStatus),
                startedAt: startedAt, duration: clock.now - start,
                standardOutput: seen.standardOutput.bytes, standardOutputTruncated: seen.standardOutput.truncated,
                standardErrorLineCount: seen.standardErrorLineCount)
        } catch where started {
            // swift-subprocess could not watch or reap a handler that did start: very unlikely,
            // and the attempt cannot be judged, so it must not count as done.
            return couldNotStart("the handler started but could not be watched to its end: \(error)")
        } catch {
            return couldNotStart(LaunchFailure.reason(program: program, path: environment["PATH"], error: error))
        }
    }

    private func executable(for program: String) -> Executable {
        // A bare name is looked up in the PATH the handler gets, never in the service's.
        // `.init` is swift-system's FilePath, which this module need not name.
        program.contains("/") ? .path(.init(program)) : .name(program)
    }

    private func logger(for invocation: HandlerInvocation) -> Logger {
        var logger = logger
        logger[metadataKey: "tenant"] = "\(invocation.tenant)"
        logger[metadataKey: "handler"] = "\(invocation.handler.name)"
        logger[metadataKey: "event_id"] = "\(invocation.eventID)"
        return logger
    }

    private static func outcome(of status: TerminationStatus) -> HandlerOutcome {
        switch status {
        case .exited(0): .succeeded
        case .exited(75): .retryRequested
        case .exited(let code): .failed(exitStatus: code)
        case .signaled(let signal): .signaled(signal: signal)
        }
    }
}

private let sigpipeIgnored: Void = {
    _ = signal(SIGPIPE, SIG_IGN)
}()

import CoregateDelivery
import CoregateStore
import Foundation
import Testing

@Suite("Handler outcomes")
struct HandlerRunnerOutcomeTests {
    @Test("the exit status decides the outcome", arguments: [
        (0, HandlerOutcome.succeeded),
        (75, HandlerOutcome.retryRequested),
        (3, HandlerOutcome.failed(exitStatus: 3)),
    ])
    func exitStatus(code: Int, expected: HandlerOutcome) async throws {
        let sandbox = try HandlerSandbox()
        let handler = try sandbox.file("exit.js", """
            #!/usr/bin/env node
            process.exit(Number(process.argv[2]));
            """)
        let before = Date()
        let result = await sandbox.runner().run(sandbox.invocation([handler, String(code)]))
        #expect(result.outcome == expected)
        #expect(result.startedAt >= before.addingTimeInterval(-1) && result.startedAt <= Date())
        #expect(result.duration > .zero)
    }

    @Test("a handler killed by a signal is signaled, not failed")
    func killedBySignal() async throws {
        let sandbox = try HandlerSandbox()
        let handler = try sandbox.file("suicide.sh", """
            #!/bin/sh
            kill -KILL $$
            """)
        let result = await sandbox.runner().run(sandbox.invocation([handler]))
        #expect(result.outcome == .signaled(signal: SIGKILL))
    }

    @Test("a missing command could not start, and says so")
    func missingCommand() async throws {
        let sandbox = try HandlerSandbox()
        let missing = sandbox.folder + "/no-such-handler"
        let result = await sandbox.runner().run(sandbox.invocation([missing]))
        #expect(result.outcome == .couldNotStart(reason: "\(missing) does not exist"))
    }

    @Test("a file without the execute bit could not start, and says so")
    func notExecutable() async throws {
        let sandbox = try HandlerSandbox()
        let handler = try sandbox.file("plain.sh", "#!/bin/sh\nexit 0\n", mode: 0o644)
        let result = await sandbox.runner().run(sandbox.invocation([handler]))
        #expect(result.outcome == .couldNotStart(reason: "\(handler) is not executable (mode 644)"))
    }

    @Test("a folder as command could not start, and says so")
    func folderAsCommand() async throws {
        let sandbox = try HandlerSandbox()
        let result = await sandbox.runner().run(sandbox.invocation([sandbox.folder]))
        #expect(result.outcome == .couldNotStart(reason: "\(sandbox.folder) is a folder, not a program"))
    }

    @Test("a script whose interpreter is missing could not start, and names the interpreter")
    func missingInterpreter() async throws {
        let sandbox = try HandlerSandbox()
        let handler = try sandbox.file("odd.sh", "#!/nonexistent/interpreter\nexit 0\n")
        let result = await sandbox.runner().run(sandbox.invocation([handler]))
        guard case .couldNotStart(let reason) = result.outcome else {
            Issue.record("expected couldNotStart, got \(result.outcome)")
            return
        }
        #expect(reason.contains("#!/nonexistent/interpreter"))
    }

    @Test("a bare name missing from the handler's PATH could not start, and names the PATH")
    func bareNameNotInPath() async throws {
        let sandbox = try HandlerSandbox()
        let result = await sandbox.runner().run(sandbox.invocation(["coregate-no-such-program"]))
        #expect(result.outcome == .couldNotStart(
            reason: "no executable program named coregate-no-such-program in PATH /usr/local/bin:/usr/bin:/bin"))
    }

    @Test("an empty command could not start")
    func emptyCommand() async throws {
        let sandbox = try HandlerSandbox()
        let result = await sandbox.runner().run(sandbox.invocation([]))
        #expect(result.outcome == .couldNotStart(reason: "the handler has no command"))
    }
}

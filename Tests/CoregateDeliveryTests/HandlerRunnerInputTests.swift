import CoregateDelivery
import Foundation
import Testing

@Suite("What a handler gets")
struct HandlerRunnerInputTests {
    @Test("the handler sees only coregate's variables and its own env, nothing of the service's")
    func exactEnvironment() async throws {
        // Given a secret in the service's own environment
        setenv("COREGATE_TEST_SERVICE_SECRET", "must-not-leak", 1)
        let sandbox = try HandlerSandbox()
        let handler = try sandbox.file("env.py", """
            #!/usr/bin/env python3
            import json, os, sys
            sys.stdout.write(json.dumps(dict(os.environ)))
            """)
        // When a handler with its own env runs
        let result = await sandbox.runner().run(
            sandbox.invocation([handler], env: ["COREAPP_URL": "https://10.20.0.5:9090"], attempt: 2))
        // Then its environment is exactly what coregate sets
        #expect(result.outcome == .succeeded)
        let environment = try JSONDecoder().decode([String: String].self, from: Data(result.standardOutput))
        #expect(environment == [
            "COREGATE_TENANT": "acme",
            "COREGATE_EVENT_ID": "evt-1",
            "COREGATE_EVENT_TYPE": "message.text",
            "COREGATE_HANDLER": "bot",
            "COREGATE_ATTEMPT": "2",
            "COREGATE_STATE_DIR": sandbox.stateDirectory,
            "CONTENT_TYPE": "application/json",
            "CONTENT_LENGTH": "65",
            "PATH": "/usr/local/bin:/usr/bin:/bin",
            "LANG": "C.UTF-8",
            "COREAPP_URL": "https://10.20.0.5:9090",
        ])
        #expect(ProcessInfo.processInfo.environment["COREGATE_TEST_SERVICE_SECRET"] == "must-not-leak")
    }

    @Test("a bare program name is found in the default PATH, and env prints exactly the environment")
    func bareNameInDefaultPath() async throws {
        setenv("COREGATE_TEST_SERVICE_SECRET", "must-not-leak", 1)
        let sandbox = try HandlerSandbox()
        let result = await sandbox.runner().run(sandbox.invocation(["env"]))
        #expect(result.outcome == .succeeded)
        let names = String(decoding: result.standardOutput, as: UTF8.self)
            .split(separator: "\n").map { String($0.prefix { $0 != "=" }) }
        #expect(Set(names) == [
            "COREGATE_TENANT", "COREGATE_EVENT_ID", "COREGATE_EVENT_TYPE", "COREGATE_HANDLER", "COREGATE_ATTEMPT",
            "COREGATE_STATE_DIR", "CONTENT_TYPE", "CONTENT_LENGTH", "PATH", "LANG",
        ])
    }

    @Test("a bare program name is looked up in the PATH the handler's env gives it")
    func bareNameInHandlerPath() async throws {
        let sandbox = try HandlerSandbox()
        try sandbox.file("bin/my-handler", "#!/bin/sh\necho found me\n")
        let result = await sandbox.runner().run(
            sandbox.invocation(["my-handler"], env: ["PATH": sandbox.folder + "/bin:/usr/bin:/bin"]))
        #expect(result.outcome == .succeeded)
        #expect(String(decoding: result.standardOutput, as: UTF8.self) == "found me\n")
    }

    @Test("stdin is the event, a newline, then end of input, and CONTENT_LENGTH counts its bytes")
    func standardInput() async throws {
        let sandbox = try HandlerSandbox()
        let handler = try sandbox.file("echo.pl", """
            #!/usr/bin/perl
            binmode STDIN; binmode STDOUT;
            local $/; my $in = <STDIN>;
            print length($in), " ", $ENV{CONTENT_LENGTH}, "\\n", $in, "<EOF>";
            """)
        let event = #"{"id":"evt-1","text":"héllo wörld"}"#
        let result = await sandbox.runner().run(sandbox.invocation([handler], eventJSON: Array(event.utf8)))
        #expect(result.outcome == .succeeded)
        let bytes = event.utf8.count + 1
        #expect(String(decoding: result.standardOutput, as: UTF8.self) == "\(bytes) \(bytes)\n\(event)\n<EOF>")
    }

    @Test("a handler that exits without reading a 1 MiB event neither hangs nor harms the service",
          arguments: ["exit 0", "head -c 10 >/dev/null; exit 0"])
    func nonReader(body: String) async throws {
        let sandbox = try HandlerSandbox()
        let handler = try sandbox.file("lazy.sh", "#!/bin/sh\n\(body)\n")
        let event = Array(#"{"blob":""#.utf8) + [UInt8](repeating: UInt8(ascii: "x"), count: 1 << 20) + Array(#""}"#.utf8)
        // A hang would end in the timeout, so `succeeded` is the proof; no wall-clock bound is needed.
        let result = await sandbox.runner().run(sandbox.invocation([handler], timeout: .seconds(120), eventJSON: event))
        #expect(result.outcome == .succeeded)
    }

    @Test("the state folder is created, writable, and the handler's working directory")
    func stateDirectory() async throws {
        let sandbox = try HandlerSandbox()
        let handler = try sandbox.file("state.sh", """
            #!/bin/sh
            echo kept > "$COREGATE_STATE_DIR/note" && pwd
            """)
        let result = await sandbox.runner().run(sandbox.invocation([handler]))
        #expect(result.outcome == .succeeded)
        #expect(String(decoding: result.standardOutput, as: UTF8.self) == sandbox.stateDirectory + "\n")
        #expect(FileManager.default.contents(atPath: sandbox.stateDirectory + "/note") == Data("kept\n".utf8))
    }

    @Test("the handler starts with no signal ignored, though the service ignores SIGPIPE")
    func defaultSignals() async throws {
        let sandbox = try HandlerSandbox()
        let result = await sandbox.runner().run(sandbox.invocation(["/bin/grep", "^SigIgn:", "/proc/self/status"]))
        #expect(ignoredSignals(ofProcess: "self") & (1 << (SIGPIPE - 1)) != 0, "the runner made the service ignore it")
        let childIgnores = UInt64(String(decoding: result.standardOutput.dropFirst(8).dropLast(), as: UTF8.self), radix: 16)
        // Only the classic signals 1-31: glibc keeps its own real-time signals (32, 33) out of posix_spawn's reach.
        #expect(childIgnores.map { $0 & 0x7fff_ffff } == 0)
    }

    @Test("each stderr line is logged with tenant, handler and event id")
    func standardErrorLines() async throws {
        let sandbox = try HandlerSandbox()
        let handler = try sandbox.file("talk.py", """
            #!/usr/bin/env python3
            import sys
            sys.stderr.write("first line\\nsecond line\\nno newline at the end")
            """)
        let result = await sandbox.runner().run(sandbox.invocation([handler]))
        #expect(result.outcome == .succeeded)
        #expect(result.standardErrorLineCount == 3)
        let entries = sandbox.log.entries
        #expect(entries.map(\.message) == ["first line", "second line", "no newline at the end"])
        for entry in entries {
            #expect(entry.metadata["tenant"] == "acme")
            #expect(entry.metadata["handler"] == "bot")
            #expect(entry.metadata["event_id"] == "evt-1")
        }
    }
}

/// The mask of signals a process ignores, from `SigIgn:` in /proc/<pid>/status; bit n-1 is signal n.
func ignoredSignals(ofProcess pid: String) -> UInt64 {
    let status = (try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8)) ?? ""
    let line = status.split(separator: "\n").first { $0.hasPrefix("SigIgn:") } ?? ""
    return UInt64(line.dropFirst("SigIgn:".count).trimmingCharacters(in: .whitespaces), radix: 16) ?? 0
}

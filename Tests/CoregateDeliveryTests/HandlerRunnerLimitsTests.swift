import CoregateDelivery
import Foundation
import Testing

@Suite("Handler limits")
struct HandlerRunnerLimitsTests {
    @Test("on timeout the whole process group dies, grandchildren too")
    func timeoutKillsGrandchild() async throws {
        // Given a handler that starts a grandchild and hangs
        let sandbox = try HandlerSandbox()
        let marker = uniqueMarker()
        let handler = try sandbox.file("hang.sh", """
            #!/bin/sh
            perl -e 'sleep 300' \(marker) &
            echo started
            sleep 301
            """)
        // When it runs past its timeout
        let result = await sandbox.runner(terminationGrace: .seconds(60)).run(
            sandbox.invocation([handler], timeout: .milliseconds(500)))
        // Then it timed out, and nothing it started is left
        #expect(result.outcome == .timedOut)
        #expect(String(decoding: result.standardOutput, as: UTF8.self) == "started\n")
        #expect(result.duration >= .milliseconds(500))
        #expect(result.duration < .seconds(60), "sleep dies on SIGTERM, so the grace is not waited out")
        #expect(await survivingProcesses(withArgument: marker) == [])
    }

    @Test("a handler that ignores SIGTERM gets SIGKILL after the grace period")
    func ignoresTerm() async throws {
        let sandbox = try HandlerSandbox()
        let marker = uniqueMarker()
        let handler = try sandbox.file("stubborn.pl", """
            #!/usr/bin/perl
            $SIG{TERM} = 'IGNORE';
            $0 = "stubborn \(marker)";
            sleep 300;
            """)
        let result = await sandbox.runner(terminationGrace: .milliseconds(700)).run(
            sandbox.invocation([handler], timeout: .milliseconds(300)))
        #expect(result.outcome == .timedOut)
        #expect(result.duration >= .milliseconds(1000))
        // Far below the 300 s sleep: SIGKILL came after the grace. Loose, as a loaded machine is slow to spawn.
        #expect(result.duration < .seconds(60))
        #expect(await survivingProcesses(withArgument: marker) == [])
    }

    @Test("a grandchild that ignores SIGTERM dies once the timed-out handler is gone")
    func grandchildIgnoresTerm() async throws {
        let sandbox = try HandlerSandbox()
        let marker = uniqueMarker()
        let handler = try sandbox.file("hang.sh", """
            #!/bin/sh
            perl -e '$SIG{TERM} = "IGNORE"; sleep 300' \(marker) &
            sleep 301
            """)
        let result = await sandbox.runner(terminationGrace: .seconds(5)).run(
            sandbox.invocation([handler], timeout: .milliseconds(300)))
        #expect(result.outcome == .timedOut)
        #expect(await survivingProcesses(withArgument: marker) == [])
    }

    @Test("a handler that exits leaving a child that holds stdout returns at once, and the child is stopped")
    func leftoverChild() async throws {
        let sandbox = try HandlerSandbox()
        let marker = uniqueMarker()
        let handler = try sandbox.file("leave.sh", """
            #!/bin/sh
            perl -e 'sleep 300' \(marker) &
            echo done
            exit 0
            """)
        // Waiting for the child's end of stdout would end in the timeout, so `succeeded` is the proof.
        let result = await sandbox.runner().run(sandbox.invocation([handler], timeout: .seconds(120)))
        #expect(result.outcome == .succeeded)
        #expect(String(decoding: result.standardOutput, as: UTF8.self) == "done\n")
        #expect(await survivingProcesses(withArgument: marker) == [])
    }

    @Test("the timeout holds even for a handler that closed its stdout and stderr")
    func timeoutAfterClosingOutput() async throws {
        let sandbox = try HandlerSandbox()
        let marker = uniqueMarker()
        let handler = try sandbox.file("quiet.sh", """
            #!/bin/sh
            exec >/dev/null 2>&1 </dev/null
            exec perl -e 'sleep 300' \(marker)
            """)
        let result = await sandbox.runner().run(sandbox.invocation([handler], timeout: .milliseconds(500)))
        #expect(result.outcome == .timedOut)
        #expect(await survivingProcesses(withArgument: marker) == [])
    }

    @Test("huge stdout and stderr are read to the end but kept bounded")
    func hugeOutput() async throws {
        // Given a handler that writes 50 MiB to each of stdout and stderr, and a 1 MiB stderr line
        let sandbox = try HandlerSandbox()
        let handler = try sandbox.file("flood.py", """
            #!/usr/bin/env python3
            import sys
            line = b"e" * 1023 + b"\\n"
            chunk = b"o" * (1 << 20)
            for i in range(50):
                sys.stdout.buffer.write(chunk)
                sys.stderr.buffer.write(line * 1024)
            sys.stderr.buffer.write(b"L" * (1 << 20) + b"\\n")
            sys.stdout.buffer.write(b"the end\\n")
            """)
        // When it runs
        let result = await sandbox.runner().run(sandbox.invocation([handler], timeout: .seconds(120)))
        // Then it is not killed for it, and only the bounds are kept
        #expect(result.outcome == .succeeded)
        #expect(result.standardOutput == [UInt8](repeating: UInt8(ascii: "o"), count: 64 << 10))
        #expect(result.standardOutputTruncated)
        #expect(result.standardErrorLineCount == 50 * 1024 + 1)
        #expect(sandbox.log.count == 50 * 1024 + 1)
        #expect(sandbox.log.longestMessage < (4 << 10) + 40, "a 1 MiB line is cut to about 4 KiB")
    }

    @Test("cancelling the caller stops the handler and its group")
    func cancellation() async throws {
        let sandbox = try HandlerSandbox()
        let marker = uniqueMarker()
        let started = sandbox.folder + "/grandchild-started"
        // The grandchild itself announces that it runs, so the cancel cannot come before there is
        // a group to stop (which would let the survivor check pass without testing anything).
        let handler = try sandbox.file("hang.sh", """
            #!/bin/sh
            perl -e 'open(my $f, ">", $ARGV[0]); close($f); sleep 300' \(started) \(marker) &
            sleep 301
            """)
        let runner = sandbox.runner(terminationGrace: .seconds(5))
        let invocation = sandbox.invocation([handler], timeout: .seconds(60))
        let run = Task { await runner.run(invocation) }
        try await waitForFile(started)
        #expect(livingProcesses(withArgument: marker).count == 1, "the grandchild runs before the cancel")
        run.cancel()
        let result = await run.value
        #expect(result.outcome == .signaled(signal: SIGTERM))
        #expect(result.duration < .seconds(60), "far below the 300 s the handler would sleep")
        #expect(await survivingProcesses(withArgument: marker) == [])
    }
}

import CoregateHTTP
import Dispatch
import NIOCore
import NIOPosix
import Testing

/// Issue 12, item 7: the watchdog is fed only while every event loop runs tasks.
@Suite("event loop probe")
struct EventLoopProbeTests {
    @Test("a loop stuck in a task answers no probe until it is free again")
    func hungLoop() async throws {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 2)
        let loops = Array(group.makeIterator())
        let probe = EventLoopProbe(group: group)
        let release = DispatchSemaphore(value: 0)
        let stuck = loops[0].submit { release.wait() }  // what a blocking call in a handler does

        let probed = ContinuousClock.now
        probe.send()
        // Tasks run in order: once this one has run on the free loop, so has its probe.
        try await loops[1].submit {}.get()
        #expect(!probe.allAnswered(since: probed))

        release.signal()
        try await stuck.get()
        try await loops[0].submit {}.get()
        #expect(probe.allAnswered(since: probed))
        try await group.shutdownGracefully()
    }

    @Test("an answer older than the probe asked about does not count")
    func staleAnswer() async throws {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let probe = EventLoopProbe(group: group)
        probe.send()
        try await group.next().submit {}.get()
        #expect(probe.allAnswered(since: .now - .seconds(60)))
        #expect(!probe.allAnswered(since: .now + .seconds(60)))
        try await group.shutdownGracefully()
    }
}

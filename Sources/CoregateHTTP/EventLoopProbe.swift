import NIOCore
import Synchronization

/// Tells whether every event loop of a group still runs tasks. A loop stuck in a handler (a
/// blocking call, an endless loop) serves none of its connections and runs no probe either, so
/// the watchdog is fed only while every loop answers, and systemd restarts a hung service.
public final class EventLoopProbe: Sendable {
    private let loops: [any EventLoop]
    /// When each loop last ran a probe; nil until its first.
    private let answered: Mutex<[ContinuousClock.Instant?]>

    public init(group: any EventLoopGroup) {
        loops = Array(group.makeIterator())
        answered = Mutex(Array(repeating: nil, count: loops.count))
    }

    /// Queues a probe on every loop; it never waits for one.
    public func send() {
        for (index, loop) in loops.enumerated() {
            loop.execute { self.record(index) }
        }
    }

    /// True when every loop has run a probe at or after `instant`.
    public func allAnswered(since instant: ContinuousClock.Instant) -> Bool {
        answered.withLock { $0.allSatisfy { $0.map { $0 >= instant } ?? false } }
    }

    private func record(_ index: Int) {
        let now = ContinuousClock.now
        answered.withLock { $0[index] = now }
    }
}

import Foundation

/// The threads handler runs block on (one per running handler, see ``HandlerRunner``), kept and
/// reused: an idle thread waits for the next run and exits only after a minute without one.
///
/// Neither library pool fits. NIOThreadPool has a fixed size, and the number of handlers running
/// at once follows `concurrency`, which a reload may raise. Dispatch's pool creates and ends a
/// thread for nearly every run when runs come one after another: in profiles, thread start and
/// exit (stacks mapped and unmapped, TLB shootdowns across cores) took more CPU than the handler
/// run's own work in the gateway.
final class HandlerThreads: @unchecked Sendable {
    static let shared = HandlerThreads()

    /// Guards `work` and `idle`; idle threads wait on it.
    private let condition = NSCondition()
    private var work: [@Sendable () -> Void] = []
    private var idle = 0
    private let idleLifetime: TimeInterval = 60

    /// `wakingAnotherThread: false` only from one of these threads as it finishes its own work:
    /// it comes back for `body` at once.
    func run(wakingAnotherThread: Bool = true, _ body: @escaping @Sendable () -> Void) {
        condition.lock()
        work.append(body)
        let startOne = wakingAnotherThread && idle < work.count
        if wakingAnotherThread && !startOne { condition.signal() }
        condition.unlock()
        if startOne {
            let thread = Thread {
                // Named from within: a name given before start() does not reach the kernel, which
                // takes 15 bytes at most.
                Thread.current.name = "coregate-exec"
                self.serve()
            }
            thread.stackSize = 512 << 10
            thread.start()
        }
    }

    private func serve() {
        condition.lock()
        while true {
            while work.isEmpty {
                idle += 1
                let woken = condition.wait(until: Date(timeIntervalSinceNow: idleLifetime))
                idle -= 1
                if !woken && work.isEmpty {
                    condition.unlock()
                    return
                }
            }
            let body = work.removeFirst()
            condition.unlock()
            body()
            condition.lock()
        }
    }
}

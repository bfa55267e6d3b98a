import Foundation

/// Group commit: `enqueue` calls that arrive while a transaction runs wait and go together into
/// the next one, so the per-commit cost (the WAL write, and the fsync when power-loss safe) is
/// shared by every request of a burst. Each caller hears only after the commit holding its
/// events, with its own counts.
///
/// The transactions run on one thread of the writer's own, which blocks in them: the request
/// hands its events over and the commit's completion comes straight back, with no task, actor or
/// dispatch queue in between. Each of those hops was a thread to wake, and in profiles of the
/// ingest path they cost more CPU than the transaction itself (docs/performance.md). The thread
/// exits after a while without work and starts again with the next request.
final class EventWriter: @unchecked Sendable {
    /// Writes one batch (one array of events per caller) in one transaction, blocking.
    typealias Commit = @Sendable ([[NewEvent]]) throws -> [EnqueueResult]
    /// Called once, on the writer's thread, after the commit (or its failure): it must not block.
    typealias Completion = @Sendable (Result<EnqueueResult, any Error>) -> Void

    private struct Waiter {
        let events: [NewEvent]
        let completion: Completion
    }

    private let maxEventsPerCommit: Int
    private let commit: Commit
    private let idleLifetime: TimeInterval
    /// Guards everything below; the writer's thread waits on it for work.
    private let condition = NSCondition()
    /// At most one entry per request in flight, and the HTTP server bounds those by
    /// `max_connections` (one request at a time per connection), so this stays bounded.
    private var waiting: [Waiter] = []
    private var threadRunning = false
    private var threadIdle = false
    private var commitCount = 0

    init(maxEventsPerCommit: Int, idleLifetime: TimeInterval = 30, commit: @escaping Commit) {
        self.maxEventsPerCommit = max(1, maxEventsPerCommit)
        self.idleLifetime = idleLifetime
        self.commit = commit
    }

    /// How many transactions have committed.
    var commits: Int {
        condition.lock()
        defer { condition.unlock() }
        return commitCount
    }

    func enqueue(_ events: [NewEvent], completion: @escaping Completion) {
        condition.lock()
        waiting.append(Waiter(events: events, completion: completion))
        let startThread = !threadRunning
        threadRunning = true
        let wake = threadIdle
        condition.unlock()
        // After unlocking: a thread woken while the lock is still held would wake only to wait
        // for the lock, one more futex call and context switch on each side.
        if wake { condition.signal() }
        if startThread {
            let thread = Thread { self.serve() }
            thread.stackSize = 512 << 10
            thread.start()
        }
    }

    func enqueue(_ events: [NewEvent]) async throws -> EnqueueResult {
        try await withCheckedThrowingContinuation { continuation in
            enqueue(events) { continuation.resume(with: $0) }
        }
    }

    /// Commits batch after batch; callers that arrive during a commit form the next batch.
    private func serve() {
        // Named here: a thread started from an event loop would otherwise carry its name.
        Thread.current.name = "coregate-commit"
        condition.lock()
        while true {
            while waiting.isEmpty {
                threadIdle = true
                let woken = condition.wait(until: Date(timeIntervalSinceNow: idleLifetime))
                threadIdle = false
                if !woken && waiting.isEmpty {
                    threadRunning = false
                    condition.unlock()
                    return
                }
            }
            let batch = takeBatch()
            condition.unlock()
            let outcome = Result { try commit(batch.map(\.events)) }
            condition.lock()
            if case .success = outcome { commitCount += 1 }
            condition.unlock()
            switch outcome {
            case .success(let results):
                for (waiter, result) in zip(batch, results) { waiter.completion(.success(result)) }
            case .failure(let error):
                for waiter in batch { waiter.completion(.failure(error)) }
            }
            condition.lock()
        }
    }

    /// The longest run of waiters, oldest first, within the bound; at least one, whatever its size.
    private func takeBatch() -> [Waiter] {
        var count = 1
        var events = waiting[0].events.count
        while count < waiting.count, events + waiting[count].events.count <= maxEventsPerCommit {
            events += waiting[count].events.count
            count += 1
        }
        let batch = Array(waiting.prefix(count))
        waiting.removeFirst(count)
        return batch
    }
}

/// Group commit: `enqueue` calls that arrive while a transaction runs wait and go together into
/// the next one, so the per-commit cost (the WAL write, and the fsync when power-loss safe) is
/// shared by every request of a burst. Each caller resumes only after the commit holding its
/// events, with its own counts.
actor EventWriter {
    typealias Commit = @Sendable ([[NewEvent]]) async throws -> [EnqueueResult]

    private struct Waiter {
        let events: [NewEvent]
        let continuation: CheckedContinuation<EnqueueResult, any Error>
    }

    private let maxEventsPerCommit: Int
    /// Writes one batch (one array of events per caller) in one transaction.
    private let commit: Commit
    private var waiting: [Waiter] = []
    private var isCommitting = false
    private(set) var commits = 0

    init(maxEventsPerCommit: Int, commit: @escaping Commit) {
        self.maxEventsPerCommit = max(1, maxEventsPerCommit)
        self.commit = commit
    }

    func enqueue(_ events: [NewEvent]) async throws -> EnqueueResult {
        try await withCheckedThrowingContinuation { continuation in
            waiting.append(Waiter(events: events, continuation: continuation))
            if !isCommitting {
                isCommitting = true
                // Its own task: the commit must not be cut short by one caller's cancellation,
                // since the other callers of the batch wait for it.
                Task { await self.commitWaiting() }
            }
        }
    }

    /// Commits batch after batch until nobody waits. Callers that arrive during a commit queue up
    /// behind it (the actor is free while the transaction runs) and form the next batch.
    private func commitWaiting() async {
        while !waiting.isEmpty {
            let batch = takeBatch()
            do {
                let results = try await commit(batch.map(\.events))
                commits += 1
                for (waiter, result) in zip(batch, results) {
                    waiter.continuation.resume(returning: result)
                }
            } catch {
                for waiter in batch {
                    waiter.continuation.resume(throwing: error)
                }
            }
        }
        isCommitting = false
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

import CoregateStore
import Foundation
import Logging
import Synchronization

/// Direct mode's memory of successes (SPEC §8), written in batches: one store transaction for the
/// successes of every request answered within `window`, instead of one transaction (and two hops
/// to the database's queue and back) per request. In profiles of direct mode the per-request
/// record and read took about as much of the gateway's CPU as spawning the handler.
///
/// Until its batch commits, a success is answered from memory, so a sender's retry that comes
/// meanwhile still finds it. What a crash loses in the window costs one more run of a handler at
/// most, as a record lost before this change did: the sender retries only after a non-200.
final class DirectSuccessRecorder: Sendable {
    private let store: any Store
    private let logger: Logger
    private let window: Duration
    /// A committed batch held reply actions for the sender loop.
    private let repliesStored: @Sendable () -> Void
    /// Past this many waiting successes a batch is written at once: memory stays bounded.
    private let batchLimit: Int
    private let state = Mutex(State())

    private struct State {
        var waiting: [DirectSuccess] = []
        /// Being written now: still answered from memory until the commit.
        var writing: [DirectSuccess] = []
        var flushScheduled = false
    }

    init(
        store: any Store, logger: Logger, window: Duration = .milliseconds(10), batchLimit: Int = 256,
        repliesStored: @escaping @Sendable () -> Void
    ) {
        self.store = store
        self.repliesStored = repliesStored
        self.logger = logger
        self.window = window
        self.batchLimit = batchLimit
    }

    /// Queues successes for the next batch.
    func record(_ successes: [DirectSuccess]) {
        guard !successes.isEmpty else { return }
        let (schedule, full) = state.withLock { state in
            state.waiting += successes
            let schedule = !state.flushScheduled
            state.flushScheduled = true
            return (schedule, state.waiting.count >= batchLimit)
        }
        guard schedule else { return }
        Task {
            if !full { try? await Task.sleep(for: window) }
            await flush()
        }
    }

    /// The handlers that succeeded, per event, among the successes not yet committed.
    func uncommitted(tenant: String, eventIDs: Set<String>) -> [String: Set<String>] {
        state.withLock { state in
            var succeeded: [String: Set<String>] = [:]
            for success in state.writing + state.waiting
            where success.event.tenant == tenant && eventIDs.contains(success.event.id) {
                succeeded[success.event.id, default: []].insert(success.handler)
            }
            return succeeded
        }
    }

    /// Writes what waits, batch after batch, until nothing does.
    private func flush() async {
        while true {
            let batch: [DirectSuccess]? = state.withLock { state in
                state.writing = []
                guard !state.waiting.isEmpty else {
                    state.flushScheduled = false
                    return nil
                }
                state.writing = state.waiting
                state.waiting = []
                return state.writing
            }
            guard let batch else { return }
            do {
                try await store.recordDirectSuccesses(batch)
                if batch.contains(where: { !$0.report.replies.isEmpty }) { repliesStored() }
            } catch {
                logger.error(
                    "cannot record direct deliveries; a retried request runs them again",
                    metadata: ["error": "\(error)", "successes": "\(batch.count)"])
            }
        }
    }
}

import Synchronization

/// Wakes the dispatcher when there may be work: events were stored, a handler finished, or a
/// reload changed the limits. A ring while nobody waits is kept, so no wake-up is ever lost.
final class Doorbell: Sendable {
    private struct State {
        var rung = false
        var waiter: CheckedContinuation<Void, Never>?
    }

    private let state = Mutex(State())

    func ring() {
        let waiter = state.withLock { state -> CheckedContinuation<Void, Never>? in
            guard let waiter = state.waiter else {
                state.rung = true
                return nil
            }
            state.waiter = nil
            return waiter
        }
        waiter?.resume()
    }

    /// Returns once rung (or rung since the last wait), or after `timeout`. One waiter at a time.
    func wait(timeout: Duration) async {
        // A ring since the last wait needs no timer: the busy loop comes through here every round.
        let rung = state.withLock { state in
            defer { state.rung = false }
            return state.rung
        }
        if rung { return }
        await withTaskGroup(of: Void.self) { group in
            group.addTask {
                // Cancelled when the ring came first; then it must not ring again.
                if (try? await Task.sleep(for: timeout)) != nil { self.ring() }
            }
            group.addTask {
                // The caller's cancellation (the service stopping) ends the wait too.
                await withTaskCancellationHandler {
                    await withCheckedContinuation { continuation in
                        let alreadyRung = self.state.withLock { state in
                            if state.rung {
                                state.rung = false
                                return true
                            }
                            state.waiter = continuation
                            return false
                        }
                        if alreadyRung { continuation.resume() }
                    }
                } onCancel: {
                    self.ring()
                }
            }
            await group.next()
            group.cancelAll()
        }
    }
}

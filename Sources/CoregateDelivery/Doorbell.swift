import CoregateStore
import Dispatch
import Synchronization

/// Wakes the dispatcher's thread when there may be work: events were stored, a handler finished,
/// or a reload changed the limits. A ring while nobody waits is kept, so no wake-up is lost; rings
/// that come together wake it once.
final class Doorbell: Sendable {
    private let rung = Atomic<Bool>(false)
    private let semaphore = DispatchSemaphore(value: 0)

    func ring() {
        if !rung.exchange(true, ordering: .acquiringAndReleasing) {
            semaphore.signal()
        }
    }

    /// Blocks the calling thread until rung (or rung since the last wait), or for `timeout`.
    /// For the dispatcher's own thread only.
    func wait(timeout: Duration) {
        _ = semaphore.wait(timeout: .now() + timeout.timeInterval)
        rung.store(false, ordering: .releasing)
    }
}

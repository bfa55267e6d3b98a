import CoregateDelivery
import CoregateStore
import Synchronization

/// Builds the `STATUS=` line `systemctl status` shows, and keeps it current.
final class StatusReporter: Sendable {
    private struct QueueCounts {
        var queued = 0
        var dead = 0
    }

    private let live: LiveConfiguration
    private let metrics: GatewayMetrics
    private let dispatcher: Dispatcher
    private let listening: String
    private let queue = Mutex(QueueCounts())
    private let lastReloadFailure = Mutex<String?>(nil)

    init(live: LiveConfiguration, metrics: GatewayMetrics, dispatcher: Dispatcher, listening: String) {
        self.live = live
        self.metrics = metrics
        self.dispatcher = dispatcher
        self.listening = listening
    }

    var line: String {
        let queue = self.queue.withLock { $0 }
        var parts = [
            "\(live.configuration.tenants.count) tenants",
            "\(queue.queued) queued, \(dispatcher.running) running, \(queue.dead) dead",
            metrics.summary,
            "listening on \(listening)",
        ]
        if let failure = lastReloadFailure.withLock({ $0 }) {
            parts.append("last reload failed: \(failure)")
        }
        return parts.joined(separator: "; ")
    }

    func refreshQueue(from store: any Store) async {
        guard let counts = try? await store.deliveryCounts() else { return }
        let queue = QueueCounts(
            queued: (counts[.pending] ?? 0) + (counts[.retrying] ?? 0), dead: counts[.dead] ?? 0)
        self.queue.withLock { $0 = queue }
    }

    func reloadFailed(reason: String) {
        lastReloadFailure.withLock { $0 = reason }
    }

    func reloadSucceeded() {
        lastReloadFailure.withLock { $0 = nil }
    }
}

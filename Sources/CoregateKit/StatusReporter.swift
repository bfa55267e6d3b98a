import CoregateSystemd
import Synchronization

/// Builds the `STATUS=` line `systemctl status` shows, and keeps it current.
public final class StatusReporter: Sendable {
    private let gateway: Gateway
    private let listening: String
    private let lastReloadFailure = Mutex<String?>(nil)

    init(gateway: Gateway, listening: String) {
        self.gateway = gateway
        self.listening = listening
    }

    public var line: String {
        var parts = ["\(gateway.current.tenants.count) tenants", gateway.counters.summary, "listening on \(listening)"]
        if let failure = lastReloadFailure.withLock({ $0 }) {
            parts.append("last reload failed: \(failure)")
        }
        return parts.joined(separator: "; ")
    }

    func reloadFailed(reason: String) {
        lastReloadFailure.withLock { $0 = reason }
    }

    func reloadSucceeded() {
        lastReloadFailure.withLock { $0 = nil }
    }
}

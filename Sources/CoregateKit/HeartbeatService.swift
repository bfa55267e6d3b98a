import CoregateStore
import CoregateSystemd
import Foundation
import Logging
import ServiceLifecycle

/// The service's housekeeping while it serves: `STATUS=` when it changes, and `WATCHDOG=1` when
/// systemd asks for it.
struct HeartbeatService: Service {
    let status: StatusReporter
    let notifier: SystemdNotifier
    let store: Store

    func run() async {
        let watchdog = notifier.watchdogInterval
        let tick = min(watchdog ?? .seconds(5), .seconds(5))
        await cancelWhenGracefulShutdown {
            var lastStatus = status.line
            while !Task.isCancelled {
                try? await Task.sleep(for: tick)
                if watchdog != nil { notifier.watchdog() }
                await status.refreshQueue(from: store)
                let line = status.line
                if line != lastStatus {
                    notifier.status(line)
                    lastStatus = line
                }
            }
        }
    }
}

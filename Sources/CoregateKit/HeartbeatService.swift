import CoregateSystemd
import ServiceLifecycle

/// Keeps systemd informed while serving: `STATUS=` when it changes, `WATCHDOG=1` when asked for.
struct HeartbeatService: Service {
    let status: StatusReporter
    let notifier: SystemdNotifier

    func run() async {
        let watchdog = notifier.watchdogInterval
        let tick = min(watchdog ?? .seconds(5), .seconds(5))
        await cancelWhenGracefulShutdown {
            var lastStatus = status.line
            while !Task.isCancelled {
                try? await Task.sleep(for: tick)
                if watchdog != nil { notifier.watchdog() }
                let line = status.line
                if line != lastStatus {
                    notifier.status(line)
                    lastStatus = line
                }
            }
        }
    }
}

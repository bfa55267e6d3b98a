import CoregateHTTP
import CoregateStore
import CoregateSystemd
import Foundation
import Logging
import ServiceLifecycle

/// The service's housekeeping while it serves: `STATUS=` when it changes, and `WATCHDOG=1` when
/// systemd asks for it and every event loop answered a probe within the tick.
struct HeartbeatService: Service {
    let status: StatusReporter
    let notifier: SystemdNotifier
    let eventLoops: EventLoopProbe
    let store: any Store
    let logger: Logger

    func run() async {
        let watchdog = notifier.watchdogInterval
        let tick = min(watchdog ?? .seconds(5), .seconds(5))
        await cancelWhenGracefulShutdown {
            var lastStatus = status.line
            while !Task.isCancelled {
                let probed = ContinuousClock.now
                if watchdog != nil { eventLoops.send() }
                try? await Task.sleep(for: tick)
                if watchdog != nil { feedWatchdog(ifAnsweredSince: probed) }
                await status.refreshQueue(from: store)
                let line = status.line
                if line != lastStatus {
                    notifier.status(line)
                    lastStatus = line
                }
            }
        }
    }

    /// A loop that ran no probe for a whole tick is stuck: the watchdog then starves, and systemd
    /// restarts the service (`WatchdogSec=`).
    private func feedWatchdog(ifAnsweredSince probed: ContinuousClock.Instant) {
        if eventLoops.allAnswered(since: probed) {
            notifier.watchdog()
        } else {
            logger.critical("an event loop answered no probe for a whole watchdog tick; not telling systemd it is alive")
        }
    }
}

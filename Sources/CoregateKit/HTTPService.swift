import CoregateHTTP
import CoregateSystemd
import Logging
import ServiceLifecycle

/// Owns the listening server's life with systemd: READY=1 once the group traps SIGTERM (so a stop
/// request right after READY is never lost), and on SIGTERM it stops accepting and lets in-flight
/// requests finish within a bound. It is listed last so the service group stops it first.
struct HTTPService: Service {
    let servers: [HTTPServer]
    let status: StatusReporter
    let notifier: SystemdNotifier
    let shutdownGrace: Duration
    let logger: Logger

    func run() async throws {
        notifier.ready(status: status.line)
        try? await gracefulShutdown()
        notifier.stopping(status: "stopping: finishing requests in flight; \(status.line)")
        logger.info("stopping: no new connections; finishing requests in flight")
        var drained = true
        for server in servers {
            drained = await server.shutdown(grace: shutdownGrace) && drained
        }
        if drained {
            logger.info("all connections closed")
        } else {
            logger.warning("connections still open after the shutdown grace period", metadata: ["grace": "\(shutdownGrace)"])
        }
    }
}

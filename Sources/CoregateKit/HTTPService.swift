import CoregateHTTP
import CoregateSystemd
import Logging
import ServiceLifecycle

/// Owns the listening server's end of life: on SIGTERM it stops accepting and lets in-flight requests
/// finish within a bound. It is listed last so the service group stops it first.
struct HTTPService: Service {
    let server: HTTPServer
    let status: StatusReporter
    let notifier: SystemdNotifier
    let shutdownGrace: Duration
    let logger: Logger

    func run() async throws {
        try? await gracefulShutdown()
        notifier.stopping(status: "stopping: finishing requests in flight; \(status.line)")
        logger.info("stopping: no new connections; finishing requests in flight")
        if await server.shutdown(grace: shutdownGrace) {
            logger.info("all connections closed")
        } else {
            logger.warning("connections still open after the shutdown grace period", metadata: ["grace": "\(shutdownGrace)"])
        }
    }
}

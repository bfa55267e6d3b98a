import CoregateDelivery
import CoregateHTTP
import CoregateSystemd
import Logging
import ServiceLifecycle
import UnixSignals

/// Reloads on SIGHUP (`systemctl reload coregate`). The new configuration, TLS certificate
/// included, is built completely before it replaces the old one; a broken one leaves the old one
/// serving and says why. Open connections keep what they started with.
struct ReloadService: Service {
    /// Trapped before READY=1 is sent: a SIGHUP that arrives before the trap would end the process.
    let hangups: UnixSignalsSequence
    let source: ConfigSource
    let live: LiveConfiguration
    let dispatcher: Dispatcher
    /// nil when no socket serves HTTPS.
    let tls: SwappableTLSContext?
    /// `handler_uids` as the service started with it.
    let handlerUIDs: ClosedRange<UInt32>?
    let status: StatusReporter
    let notifier: SystemdNotifier
    let logger: Logger

    func run() async throws {
        for await _ in hangups.cancelOnGracefulShutdown() {
            reload()
        }
    }

    func reload() {
        notifier.reloading()
        logger.info("reloading configuration")
        let (loaded, problems) = source.loadForServing()
        for problem in problems {
            logger.log(level: problem.severity == .error ? .error : .warning, "\(problem)")
        }
        guard let serving = loaded else {
            failed(reason: problems.first { $0.severity == .error }.map { "\($0)" } ?? "invalid configuration")
            return
        }
        // Sockets stay as they were opened, and HTTPS ones need a certificate for as long as they are.
        if tls != nil && serving.tls == nil {
            failed(reason: "tls_cert and tls_key are no longer set, but HTTPS sockets are open: set them again, or restart to serve plain HTTP")
            return
        }
        if tls == nil && serving.tls != nil {
            logger.warning("tls_cert is set, but no socket serves HTTPS: it takes effect when the service is restarted")
        }
        if serving.configuration.global.handlerUIDs != handlerUIDs {
            logger.warning("handler_uids changed: it takes effect when the service is restarted")
        }
        live.replace(with: serving.configuration)
        dispatcher.configure(serving.configuration)
        if let tls, let context = serving.tls { tls.replace(with: context) }
        status.reloadSucceeded()
        logger.info(
            "reloaded",
            metadata: ["tenants": "\(serving.configuration.tenants.count)", "certificate_reloaded": "\(tls != nil)"])
        notifier.ready(status: status.line)
    }

    private func failed(reason: String) {
        logger.error("reload failed; still serving the previous configuration", metadata: ["reason": "\(reason)"])
        status.reloadFailed(reason: reason)
        notifier.ready(status: status.line)
    }
}

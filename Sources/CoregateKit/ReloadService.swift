import CoregateDelivery
import CoregateSystemd
import Logging
import ServiceLifecycle
import UnixSignals

/// Reloads on SIGHUP (`systemctl reload coregate`). The new configuration is built completely
/// before it replaces the old one; a broken one leaves the old one serving and says why.
struct ReloadService: Service {
    /// Trapped before READY=1 is sent: a SIGHUP that arrives before the trap would end the process.
    let hangups: UnixSignalsSequence
    let source: ConfigSource
    let live: LiveConfiguration
    let slots: HandlerSlots
    let dispatcher: Dispatcher
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
        let (configuration, problems) = source.load()
        for problem in problems {
            logger.log(level: problem.severity == .error ? .error : .warning, "\(problem)")
        }
        guard let configuration else {
            let reason = problems.first { $0.severity == .error }.map { "\($0)" } ?? "invalid configuration"
            logger.error("reload failed; still serving the previous configuration", metadata: ["reason": "\(reason)"])
            status.reloadFailed(reason: reason)
            notifier.ready(status: status.line)
            return
        }
        live.replace(with: configuration)
        slots.setTotal(configuration.global.concurrency)
        dispatcher.wake()
        status.reloadSucceeded()
        logger.info("reloaded", metadata: ["tenants": "\(configuration.tenants.count)"])
        notifier.ready(status: status.line)
    }
}

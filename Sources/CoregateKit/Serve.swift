import CoregateDelivery
import CoregateHTTP
import CoregateReplies
import CoregateStore
import CoregateSystemd
import CoregateTenants
import Foundation
import Logging
import NIOPosix
import ServiceLifecycle
import UnixSignals

/// `coregate serve`: load, open the store, listen, then serve until SIGTERM.
/// Startup is a straight line; the ServiceGroup owns the long-running parts and their shutdown order.
public enum Serve {
    /// Returns the process exit status: 0 after a clean drain, 1 when it could not start.
    public static func run(_ source: ConfigSource) async -> Int32 {
        let notifier = SystemdNotifier()
        let (loaded, problems) = source.loadForServing()
        let logger = LogSetup.bootstrap(
            level: loaded?.configuration.global.logLevel ?? source.overrides.logLevel ?? "info")
        for problem in problems {
            logger.log(level: problem.severity == .error ? .error : .warning, "\(problem)")
        }
        guard let serving = loaded else {
            logger.critical("configuration is invalid; not starting (run `coregate check` for the full list)")
            notifier.status("configuration is invalid: \(problems.first { $0.severity == .error }.map { "\($0)" } ?? "")")
            return 1
        }
        let configuration = serving.configuration

        let listeners: Listeners
        switch Listeners.find(configuration.global, servesTLS: serving.tls != nil) {
        case .success(let found): listeners = found
        case .failure(let problem):
            logger.critical("\(problem.message)")
            return 1
        }
        let servesHTTPS = listeners.webhooks.contains { $0.scheme == .https }
        if serving.tls != nil && !servesHTTPS {
            logger.warning("tls_cert is set, but every socket systemd passed is named http: serving plain HTTP only")
        }
        // Only while HTTPS sockets are open does a reload have a certificate to replace.
        let tls = servesHTTPS ? serving.tls.map(SwappableTLSContext.init) : nil

        let store: any Store
        do {
            store = try await StoreSetup.open(configuration.global, lease: StoreSetup.lease(for: configuration), logger: logger)
            let interrupted = try await store.recoverInterruptedDeliveries()
            if interrupted > 0 {
                logger.warning("deliveries cut short by the last stop will run again", metadata: ["deliveries": "\(interrupted)"])
            }
        } catch {
            let place = configuration.global.store.map { "\($0)" } ?? configuration.global.stateDir
            logger.critical("cannot open the store", metadata: ["store": "\(place)", "error": "\(error)"])
            return 1
        }

        let identities: TenantIdentities?
        switch HandlerIsolation.identities(for: configuration.global) {
        case .success(let found): identities = found
        case .failure(let refusal):
            logger.critical("\(refusal)")
            notifier.status("\(refusal)")
            return 1
        }
        if let uids = identities?.uids {
            logger.info("each tenant's handlers run as a uid of its own", metadata: ["handler_uids": "\(uids.lowerBound)-\(uids.upperBound)"])
        } else {
            logger.info("handlers run as the service's own user; set handler_uids to give each tenant a uid of its own", metadata: ["uid": "\(geteuid())"])
        }

        let live = LiveConfiguration(configuration)
        let metrics = GatewayMetrics()
        let runner = HandlerRunner(logger: logger, identities: identities)
        let eventLoops = MultiThreadedEventLoopGroup.singleton
        let replies = ReplySender(
            store: store, eventLoops: eventLoops, tenants: { live.configuration.tenantsByID }, logger: logger,
            observer: { metrics.reply(tenant: $0, result: $1) })
        let streams = StreamHandlers(logger: logger, identities: identities, observer: { metrics.streamWorkerStopped($0) })
        let dispatcher = Dispatcher(
            store: store, runner: runner, streams: streams, configuration: configuration, logger: logger,
            attemptObserver: { metrics.attempt(tenant: $0, handler: $1, report: $2) },
            deferralObserver: { metrics.deferred(tenant: $0, handler: $1) },
            repliesStored: { replies.wake() })
        // Work another node stored wakes this one's dispatcher at once, not at its next look.
        store.wakeOnWorkFromElsewhere { tenants in
            dispatcher.wake(tenants: tenants ?? live.configuration.tenants.map(\.id))
        }
        let gateway = Gateway(
            live: live,
            storeStage: StoreStage(store: store, dispatcher: dispatcher, metrics: metrics),
            direct: DirectDelivery(dispatcher: dispatcher, logger: logger),
            metrics: metrics, logger: logger)
        let limits = HTTPLimits(configuration.global)
        let server = HTTPServer(
            group: eventLoops, limits: limits, tls: tls, logger: logger, responder: { gateway.decide($0) })
        let metricsServer = HTTPServer(group: eventLoops, limits: limits, tls: nil, logger: logger) { head in
            guard head.method == .GET, head.path == "/metrics" else { return .answer(.notFound) }
            return .readBody(async: { _ in
                let text = await metrics.scrape(store: store, runningHandlers: dispatcher.running)
                return Answer(status: .ok, contentType: "text/plain; version=0.0.4", body: String(decoding: text, as: UTF8.self))
            })
        }
        let addresses: [String]
        do {
            let bound = try await server.start(listeners.webhooks)
            addresses = zip(listeners.webhooks, bound).map { endpoint, address in
                endpoint.scheme == .https ? "\(address.hostAndPort) (https)" : address.hostAndPort
            }
            let metricsAddresses = try await metricsServer.start(listeners.metrics).map(\.hostAndPort)
            if !metricsAddresses.isEmpty { logger.info("metrics at /metrics", metadata: ["listening": "\(metricsAddresses)"]) }
        } catch {
            logger.critical("cannot listen", metadata: ["error": "\(error)", "listeners": "\(listeners)"])
            return 1
        }

        let status = StatusReporter(
            live: live, metrics: metrics, dispatcher: dispatcher, listening: addresses.joined(separator: ", "))
        await status.refreshQueue(from: store)
        logger.info(
            "serving",
            metadata: [
                "tenants": "\(configuration.tenants.count)", "listeners": "\(listeners.webhooks)", "listening": "\(addresses)",
            ])
        let hangups = await UnixSignalsSequence(trapping: .sighup)

        // Started in this order, stopped in reverse: the listeners drain first, then the dispatcher
        // lets running handlers finish, then the reply sender ends its tries in flight, and the
        // store is closed last, when nothing uses it.
        let group = ServiceGroup(
            configuration: ServiceGroupConfiguration(
                services: [
                    ReloadService(
                        hangups: hangups, source: source, live: live, dispatcher: dispatcher, tls: tls,
                        handlerUIDs: configuration.global.handlerUIDs,
                        status: status, notifier: notifier, logger: logger),
                    HeartbeatService(
                        status: status, notifier: notifier, eventLoops: EventLoopProbe(group: eventLoops), store: store,
                        logger: logger),
                    RetentionService(store: store, live: live, logger: logger),
                    ReplyService(sender: replies),
                    DispatcherService(dispatcher: dispatcher),
                    HTTPService(
                        servers: [server, metricsServer], status: status, notifier: notifier,
                        shutdownGrace: configuration.global.shutdownGrace, logger: logger),
                ],
                gracefulShutdownSignals: [.sigterm, .sigint],
                logger: Logger(label: "coregate.lifecycle", factory: { _ in SwiftLogNoOpLogHandler() })))
        do {
            try await group.run()
        } catch {
            logger.error("service group ended with an error", metadata: ["error": "\(error)"])
            return 1
        }
        logger.info("stopped")
        return 0
    }
}

extension HTTPLimits {
    init(_ global: GlobalConfig) {
        self.init(
            maxBody: global.maxBody, maxHeader: global.maxHeader, maxConnections: global.maxConnections,
            idleTimeout: global.idleTimeout, readTimeout: global.readTimeout)
    }
}

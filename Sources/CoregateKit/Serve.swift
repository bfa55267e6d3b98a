import CoregateHTTP
import CoregateSystemd
import CoregateTenants
import Foundation
import Logging
import NIOPosix
import ServiceLifecycle
import UnixSignals

/// `coregate serve`: load, listen, tell systemd READY=1, then serve until SIGTERM.
/// Startup is a straight line; the ServiceGroup owns the long-running parts and their shutdown order.
public enum Serve {
    public struct Options: Sendable {
        public var source: ConfigSource
        /// How long requests in flight may take to finish after SIGTERM.
        public var shutdownGrace: Duration

        public init(source: ConfigSource, shutdownGrace: Duration = .seconds(10)) {
            self.source = source
            self.shutdownGrace = shutdownGrace
        }
    }

    /// Returns the process exit status: 0 after a clean drain, 1 when it could not start.
    public static func run(_ options: Options) async -> Int32 {
        let notifier = SystemdNotifier()
        let (loaded, problems) = options.source.loadForServing()
        let logger = LogSetup.bootstrap(
            level: loaded?.configuration.global.logLevel ?? options.source.overrides.logLevel ?? "info")
        for problem in problems {
            logger.log(level: problem.severity == .error ? .error : .warning, "\(problem)")
        }
        guard let serving = loaded else {
            logger.critical("configuration is invalid; not starting (run `coregate check` for the full list)")
            notifier.status("configuration is invalid: \(problems.first { $0.severity == .error }.map { "\($0)" } ?? "")")
            return 1
        }
        let configuration = serving.configuration

        let endpoints: [Endpoint]
        switch self.endpoints(configuration.global, servesTLS: serving.tls != nil) {
        case .success(let found): endpoints = found
        case .failure(let problem):
            logger.critical("\(problem.message)")
            return 1
        }
        let servesHTTPS = endpoints.contains { $0.scheme == .https }
        if serving.tls != nil && !servesHTTPS {
            logger.warning("tls_cert is set, but no socket systemd passed is named https: serving plain HTTP only")
        }
        // Only while HTTPS sockets are open does a reload have a certificate to replace.
        let tls = servesHTTPS ? serving.tls.map(SwappableTLSContext.init) : nil

        let gateway = Gateway(configuration: configuration, logger: logger)
        let server = HTTPServer(
            group: MultiThreadedEventLoopGroup.singleton, limits: HTTPLimits(configuration.global), tls: tls, logger: logger,
            responder: { await gateway.handle($0) })
        let addresses: [String]
        do {
            let bound = try await server.start(endpoints)
            addresses = zip(endpoints, bound).map { endpoint, address in
                endpoint.scheme == .https ? "\(address.hostAndPort) (https)" : address.hostAndPort
            }
        } catch {
            logger.critical("cannot listen", metadata: ["error": "\(error)", "listeners": "\(endpoints)"])
            return 1
        }

        let status = StatusReporter(gateway: gateway, listening: addresses.joined(separator: ", "))
        logger.info(
            "serving",
            metadata: [
                "tenants": "\(configuration.tenants.count)", "listeners": "\(endpoints)", "listening": "\(addresses)",
            ])
        let hangups = await UnixSignalsSequence(trapping: .sighup)

        let group = ServiceGroup(
            configuration: ServiceGroupConfiguration(
                services: [
                    ReloadService(
                        hangups: hangups, source: options.source, gateway: gateway, tls: tls, status: status,
                        notifier: notifier, logger: logger),
                    HeartbeatService(status: status, notifier: notifier),
                    HTTPService(server: server, status: status, notifier: notifier, shutdownGrace: options.shutdownGrace, logger: logger),
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

    struct ListenProblem: Error {
        var message: String
    }

    /// Sockets from systemd win; the configured addresses are the fallback for a start by hand.
    ///
    /// A socket from systemd speaks TLS when its `FileDescriptorName=` begins with `https`
    /// (`https`, `https6`, `https-public`), so one service can serve HTTPS to senders and plain
    /// HTTP to a local proxy; any other name is plain HTTP. A configured address speaks TLS
    /// whenever a certificate is configured (SPEC §2).
    static func endpoints(_ global: GlobalConfig, servesTLS: Bool) -> Result<[Endpoint], ListenProblem> {
        let inherited = ListenSocket.inherited()
        if !inherited.isEmpty {
            var endpoints: [Endpoint] = []
            for socket in inherited {
                let isHTTPS = socket.name.hasPrefix("https")
                if isHTTPS && !servesTLS {
                    return .failure(ListenProblem(
                        message: "the socket \(socket.name) (fd \(socket.fd)) is named for HTTPS, but tls_cert and tls_key are not set"))
                }
                endpoints.append(Endpoint(listener: .adopted(fd: socket.fd, name: socket.name), scheme: isHTTPS ? .https : .http))
            }
            return .success(endpoints)
        }
        guard !global.listen.isEmpty else {
            return .failure(ListenProblem(message: "no sockets were passed by systemd and no listen address is configured (--listen HOST:PORT)"))
        }
        var endpoints: [Endpoint] = []
        for address in global.listen {
            guard let listener = Listener.parse(address) else {
                return .failure(ListenProblem(message: "listen address \(address) is not HOST:PORT"))
            }
            endpoints.append(Endpoint(listener: listener, scheme: servesTLS ? .https : .http))
        }
        return .success(endpoints)
    }
}

extension HTTPLimits {
    init(_ global: GlobalConfig) {
        self.init(
            maxBody: global.maxBody, maxHeader: global.maxHeader, maxConnections: global.maxConnections,
            idleTimeout: global.idleTimeout, readTimeout: global.readTimeout)
    }
}

import Logging
import NIOCore
import NIOHTTP1
import NIOPosix
import NIOSSL
import Synchronization

/// Where the server listens: a socket systemd already bound, or an address to bind itself.
public enum Listener: Sendable, Equatable, CustomStringConvertible {
    case adopted(fd: Int32, name: String)
    case address(host: String, port: Int)

    public var description: String {
        switch self {
        case .adopted(let fd, let name): "fd \(fd) (\(name))"
        case .address(let host, let port): hostAndPort(host, port)
        }
    }
}

/// HTTP/1.1 with keep-alive on every listener, each connection handled by a `RequestHandler`,
/// behind TLS on the `https` endpoints. Shutdown stops accepting at once and lets requests in
/// flight finish.
public final class HTTPServer: Sendable {
    private let group: any EventLoopGroup
    private let limits: HTTPLimits
    private let tls: SwappableTLSContext?
    private let responder: Responder
    private let logger: Logger
    /// Each listening channel, and whether systemd owns its socket (it then outlives this process).
    private let listeners = Mutex<[(channel: any Channel, adopted: Bool)]>([])
    private let connections: ConnectionRegistry

    /// `tls` is needed only when some endpoint is `https`.
    public init(
        group: any EventLoopGroup, limits: HTTPLimits, tls: SwappableTLSContext?, logger: Logger,
        responder: @escaping Responder
    ) {
        self.group = group
        self.limits = limits
        self.tls = tls
        self.logger = logger
        self.responder = responder
        self.connections = ConnectionRegistry(limit: limits.maxConnections)
    }

    /// Binds or adopts every endpoint's listener; returns the local address of each, in order.
    public func start(_ endpoints: [Endpoint]) async throws -> [SocketAddress] {
        var addresses: [SocketAddress] = []
        for endpoint in endpoints {
            precondition(endpoint.scheme == .http || self.tls != nil, "an https endpoint needs a TLS context")
            let tls = endpoint.scheme == .https ? self.tls : nil
            let channel: any Channel
            let adopted: Bool
            switch endpoint.listener {
            case .adopted(let fd, _):
                channel = try await bootstrap(tls: tls).withBoundSocket(fd).get()
                adopted = true
            case .address(let host, let port):
                channel = try await bootstrap(tls: tls).bind(host: host, port: port).get()
                adopted = false
            }
            self.listeners.withLock { $0.append((channel, adopted)) }
            if let address = channel.localAddress { addresses.append(address) }
        }
        return addresses
    }

    /// Stops accepting, lets in-flight requests finish for up to `grace`, and returns.
    /// Returns false when connections were still open at the end of the grace period.
    ///
    /// Every accepted connection is waited for, including one accepted a moment before accepting
    /// stopped. A socket from systemd lives on in coregate.socket and holds new connections for
    /// the next process, so a connection this process took and then dropped would be the only
    /// request a restart loses. Such a listener therefore stops reading rather than closing until
    /// the end: NIO closes a connection whose setup finishes after its listener closed (which is
    /// also why NIO's ServerQuiescingHelper, which closes listeners first, is not used). A socket
    /// coregate bound itself closes at once, so that new senders are refused, not kept waiting.
    public func shutdown(grace: Duration) async -> Bool {
        let open = connections.beginStopping()
        let listeners = self.listeners.withLock { $0 }
        for listener in listeners {
            if listener.adopted {
                try? await listener.channel.setOption(.autoRead, value: false).get()
            } else {
                listener.channel.close(promise: nil)
            }
        }
        defer {
            for listener in listeners where listener.adopted { listener.channel.close(promise: nil) }
        }
        for connection in open {
            connection.eventLoop.execute {
                connection.pipeline.fireUserInboundEventTriggered(ChannelShouldQuiesceEvent())
            }
        }
        let connections = connections
        return await withTaskGroup(of: Bool.self) { group in
            group.addTask {
                await connections.waitUntilEmpty()
                return true
            }
            group.addTask {
                try? await Task.sleep(for: grace)
                return false
            }
            let closedInTime = await group.next() ?? false
            group.cancelAll()
            connections.stopWaiting()
            return closedInTime
        }
    }

    /// The HTTP handlers of one connection, after TLS when it has TLS.
    static func addHTTPHandlers(
        to pipeline: ChannelPipeline.SynchronousOperations, limits: HTTPLimits, connections: ConnectionRegistry,
        responder: @escaping Responder
    ) throws {
        var decoderLimits = NIOHTTPDecoderLimitConfiguration()
        decoderLimits.maxHeaderFieldSize = limits.maxHeader
        decoderLimits.maxHeaderListSize = limits.maxHeader
        // No outbound header validation: every answer's headers are written by
        // `RequestHandler.write` from constants, a length and a request id that is
        // either generated or checked to be plain (`RequestID`), and the validator's
        // pass over them was a visible share of the cost of each answer.
        try pipeline.configureHTTPServerPipeline(
            withPipeliningAssistance: true, withErrorHandling: true,
            withOutboundHeaderValidation: false,
            withEncoderConfiguration: .init(), withDecoderLimitConfiguration: decoderLimits)
        let decoder = try pipeline.handler(type: ByteToMessageHandler<HTTPRequestDecoder>.self)
        let readWhileAnswering = ReadWhileAnswering()
        try pipeline.addHandler(RequestBytesSignal(readWhileAnswering: readWhileAnswering), position: .before(decoder))
        try pipeline.addHandler(
            FirstRequestGrace(connections: connections), position: .before(try pipeline.handler(type: HTTPServerPipelineHandler.self)))
        try pipeline.addHandler(
            RequestHandler(
                limits: limits, connections: connections, readWhileAnswering: readWhileAnswering, responder: responder))
    }

    private func bootstrap(tls: SwappableTLSContext?) -> ServerBootstrap {
        let limits = self.limits
        let responder = self.responder
        let connections = self.connections
        let logger = self.logger
        return ServerBootstrap(group: group)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .serverChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(ConnectionLimiter(registry: connections))
                }
            }
            // TCP_NODELAY is a TCP-level option: at the socket level its number is SO_DEBUG, which
            // needs CAP_NET_ADMIN, so a service without privileges would close every connection.
            .childChannelOption(.tcpOption(.tcp_nodelay), value: 1)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    if let tls {
                        // The context is read here, once per connection: a reload's new certificate
                        // reaches new connections only. The handshake runs under the request
                        // handler's first deadline, so a client that never finishes it is dropped.
                        try channel.pipeline.syncOperations.addHandlers(
                            NIOSSLServerHandler(context: tls.current), TLSHandshakeFailureLogger(logger: logger))
                    }
                    try Self.addHTTPHandlers(
                        to: channel.pipeline.syncOperations, limits: limits, connections: connections, responder: responder)
                }
            }
    }
}

extension SocketAddress {
    /// `127.0.0.1:8080` or `[::1]:8080`, as an operator writes it.
    public var hostAndPort: String {
        CoregateHTTP.hostAndPort(ipAddress ?? "\(self)", port.map(String.init) ?? "?")
    }
}

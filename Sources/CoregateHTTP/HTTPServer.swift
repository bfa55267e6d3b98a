import Logging
import NIOCore
import NIOExtras
import NIOHTTP1
import NIOPosix
import Synchronization

/// Where the server listens: a socket systemd already bound, or an address to bind itself.
public enum Listener: Sendable, Equatable, CustomStringConvertible {
    case adopted(fd: Int32, name: String)
    case address(host: String, port: Int)

    /// Parses `HOST:PORT`, with IPv6 hosts in brackets (`[::1]:8080`).
    public static func parse(_ text: String) -> Listener? {
        guard let colon = text.lastIndex(of: ":"), let port = Int(text[text.index(after: colon)...]),
            (0...65535).contains(port)
        else { return nil }
        var host = String(text[..<colon])
        if host.hasPrefix("[") && host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        guard !host.isEmpty else { return nil }
        return .address(host: host, port: port)
    }

    public var description: String {
        switch self {
        case .adopted(let fd, let name): "fd \(fd) (\(name))"
        case .address(let host, let port): host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)"
        }
    }
}

/// HTTP/1.1 with keep-alive on every listener, each connection handled by a `RequestHandler`.
/// Shutdown stops accepting at once and lets requests in flight finish.
public final class HTTPServer: Sendable {
    private let group: any EventLoopGroup
    private let limits: HTTPLimits
    private let responder: Responder
    /// One per listener: a quiescing helper tracks exactly one server channel.
    private let quiescers = Mutex<[ServerQuiescingHelper]>([])
    private let connections: ConnectionCounter

    public init(group: any EventLoopGroup, limits: HTTPLimits, responder: @escaping Responder) {
        self.group = group
        self.limits = limits
        self.responder = responder
        self.connections = ConnectionCounter(limit: limits.maxConnections)
    }

    /// Binds or adopts every listener; returns the local address of each, in order.
    public func start(_ listeners: [Listener]) async throws -> [SocketAddress] {
        var addresses: [SocketAddress] = []
        for listener in listeners {
            let quiescing = ServerQuiescingHelper(group: group)
            quiescers.withLock { $0.append(quiescing) }
            let channel: any Channel
            switch listener {
            case .adopted(let fd, _): channel = try await bootstrap(quiescing).withBoundSocket(fd).get()
            case .address(let host, let port):
                channel = try await bootstrap(quiescing).bind(host: host, port: port).get()
            }
            if let address = channel.localAddress { addresses.append(address) }
        }
        return addresses
    }

    /// Stops accepting, lets in-flight requests finish for up to `grace`, and returns.
    /// Returns false when connections were still open at the end of the grace period.
    public func shutdown(grace: Duration) async -> Bool {
        let drained = quiescers.withLock { $0 }.map { quiescing in
            let promise = group.next().makePromise(of: Void.self)
            quiescing.initiateShutdown(promise: promise)
            return promise.futureResult
        }
        let all = EventLoopFuture.andAllComplete(drained, on: group.next())
        return await withTaskGroup(of: Bool.self) { tasks in
            tasks.addTask { (try? await all.get()) != nil }
            tasks.addTask {
                try? await Task.sleep(for: grace)
                return false
            }
            let first = await tasks.next() ?? false
            tasks.cancelAll()
            return first
        }
    }

    private func bootstrap(_ quiescing: ServerQuiescingHelper) -> ServerBootstrap {
        let limits = self.limits
        let responder = self.responder
        let connections = self.connections
        return ServerBootstrap(group: group)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .serverChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(quiescing.makeServerChannelHandler(channel: channel))
                    try channel.pipeline.syncOperations.addHandler(ConnectionLimiter(counter: connections))
                }
            }
            // TCP_NODELAY is a TCP-level option: at the socket level its number is SO_DEBUG, which
            // needs CAP_NET_ADMIN, so a service without privileges would close every connection.
            .childChannelOption(.tcpOption(.tcp_nodelay), value: 1)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    var decoderLimits = NIOHTTPDecoderLimitConfiguration()
                    decoderLimits.maxHeaderFieldSize = limits.maxHeader
                    decoderLimits.maxHeaderListSize = limits.maxHeader
                    try channel.pipeline.syncOperations.configureHTTPServerPipeline(
                        withPipeliningAssistance: true, withErrorHandling: true,
                        withEncoderConfiguration: .init(), withDecoderLimitConfiguration: decoderLimits)
                    try channel.pipeline.syncOperations.addHandler(RequestHandler(limits: limits, responder: responder))
                }
            }
    }
}

extension SocketAddress {
    /// `127.0.0.1:8080` or `[::1]:8080`, as an operator writes it.
    public var hostAndPort: String {
        let host = ipAddress ?? "\(self)"
        let port = self.port.map(String.init) ?? "?"
        return host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)"
    }
}

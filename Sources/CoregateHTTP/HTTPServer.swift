import Logging
import NIOCore
import NIOExtras
import NIOHTTP1
import NIOPosix

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
    private let quiescing: ServerQuiescingHelper
    private let connections: ConnectionCounter

    public init(group: any EventLoopGroup, limits: HTTPLimits, responder: @escaping Responder) {
        self.group = group
        self.limits = limits
        self.responder = responder
        self.quiescing = ServerQuiescingHelper(group: group)
        self.connections = ConnectionCounter(limit: limits.maxConnections)
    }

    /// Binds or adopts every listener; returns the local address of each, in order.
    public func start(_ listeners: [Listener]) async throws -> [SocketAddress] {
        var addresses: [SocketAddress] = []
        for listener in listeners {
            let channel: any Channel
            switch listener {
            case .adopted(let fd, _): channel = try await bootstrap().withBoundSocket(fd).get()
            case .address(let host, let port): channel = try await bootstrap().bind(host: host, port: port).get()
            }
            if let address = channel.localAddress { addresses.append(address) }
        }
        return addresses
    }

    /// Stops accepting, lets in-flight requests finish for up to `grace`, and returns.
    /// Returns false when connections were still open at the end of the grace period.
    public func shutdown(grace: Duration) async -> Bool {
        let drained = group.next().makePromise(of: Void.self)
        quiescing.initiateShutdown(promise: drained)
        return await withTaskGroup(of: Bool.self) { tasks in
            tasks.addTask { (try? await drained.futureResult.get()) != nil }
            tasks.addTask {
                try? await Task.sleep(for: grace)
                return false
            }
            let first = await tasks.next() ?? false
            tasks.cancelAll()
            return first
        }
    }

    private func bootstrap() -> ServerBootstrap {
        let limits = self.limits
        let responder = self.responder
        let quiescing = self.quiescing
        let connections = self.connections
        return ServerBootstrap(group: group)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .serverChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(quiescing.makeServerChannelHandler(channel: channel))
                    try channel.pipeline.syncOperations.addHandler(ConnectionLimiter(counter: connections))
                }
            }
            .childChannelOption(.socketOption(.tcp_nodelay), value: 1)
            .childChannelOption(.allowRemoteHalfClosure, value: true)
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

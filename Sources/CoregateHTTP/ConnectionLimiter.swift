import NIOCore
import Synchronization

/// Sits on a listening channel and closes new connections beyond the limit,
/// so a flood of idle sockets cannot exhaust file descriptors or memory.
final class ConnectionLimiter: ChannelInboundHandler, Sendable {
    typealias InboundIn = Channel
    typealias InboundOut = Channel

    private let registry: ConnectionRegistry

    init(registry: ConnectionRegistry) {
        self.registry = registry
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let child = unwrapInboundIn(data)
        guard registry.tryAdmit(child) else {
            child.close(promise: nil)
            return
        }
        child.closeFuture.whenComplete { [registry] _ in registry.release(child) }
        context.fireChannelRead(data)
    }
}

/// Every open connection of the server, shared by all its listeners, so the limit is for the
/// whole server and a graceful shutdown knows exactly which connections it must wait for.
final class ConnectionRegistry: Sendable {
    private struct State {
        var open: [ObjectIdentifier: any Channel] = [:]
        var stopping = false
    }

    private let state = Mutex(State())
    let limit: Int

    init(limit: Int) {
        self.limit = limit
    }

    func tryAdmit(_ channel: any Channel) -> Bool {
        state.withLock { state in
            guard state.open.count < limit else { return false }
            state.open[ObjectIdentifier(channel)] = channel
            return true
        }
    }

    func release(_ channel: any Channel) {
        _ = state.withLock { $0.open.removeValue(forKey: ObjectIdentifier(channel)) }
    }

    var count: Int {
        state.withLock { $0.open.count }
    }

    /// True once shutdown began: a connection set up from then on must finish and close by itself.
    var isStopping: Bool {
        state.withLock { $0.stopping }
    }

    /// Marks the server as stopping and returns the connections open at that moment. One lock for
    /// both, so a connection is either in the list or sees `isStopping` when it is set up.
    func beginStopping() -> [any Channel] {
        state.withLock { state in
            state.stopping = true
            return Array(state.open.values)
        }
    }
}

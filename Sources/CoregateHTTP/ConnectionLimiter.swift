import NIOCore
import Synchronization

/// Sits on a listening channel and closes new connections beyond the limit,
/// so a flood of idle sockets cannot exhaust file descriptors or memory.
final class ConnectionLimiter: ChannelInboundHandler, Sendable {
    typealias InboundIn = Channel
    typealias InboundOut = Channel

    private let counter: ConnectionCounter

    init(counter: ConnectionCounter) {
        self.counter = counter
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let child = unwrapInboundIn(data)
        guard counter.tryAdmit() else {
            child.close(promise: nil)
            return
        }
        child.closeFuture.whenComplete { [counter] _ in counter.release() }
        context.fireChannelRead(data)
    }
}

/// Shared by every listener, so the bound is for the whole server.
final class ConnectionCounter: Sendable {
    private let open = Mutex(0)
    let limit: Int

    init(limit: Int) {
        self.limit = limit
    }

    func tryAdmit() -> Bool {
        open.withLock { open in
            guard open < limit else { return false }
            open += 1
            return true
        }
    }

    func release() {
        open.withLock { $0 -= 1 }
    }
}

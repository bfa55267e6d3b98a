import NIOCore
import Synchronization

/// Sits on a listening channel and keeps the server within its connection limit, so a flood of
/// idle sockets can exhaust neither file descriptors nor memory, nor keep real senders out: at the
/// limit a new connection takes the place of the one idle longest, and is closed itself only when
/// every connection is in the middle of a request.
final class ConnectionLimiter: ChannelInboundHandler, Sendable {
    typealias InboundIn = Channel
    typealias InboundOut = Channel

    private let registry: ConnectionRegistry

    init(registry: ConnectionRegistry) {
        self.registry = registry
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let child = unwrapInboundIn(data)
        switch registry.admit(child) {
        case .refused:
            child.close(promise: nil)
            return
        case .admitted(let displacing):
            displacing?.close(promise: nil)
        }
        child.closeFuture.whenComplete { [registry] _ in registry.release(child) }
        context.fireChannelRead(data)
    }
}

/// Every open connection of the server, shared by all its listeners, so the limit is for the
/// whole server and a graceful shutdown knows exactly which connections it must wait for.
final class ConnectionRegistry: Sendable {
    private struct Connection {
        let channel: any Channel
        /// When it last became idle (accepted, or answered on a keep-alive); nil while a request is
        /// arriving or being answered.
        var idleSince: ContinuousClock.Instant?
    }

    private struct State {
        var open: [ObjectIdentifier: Connection] = [:]
        var stopping = false
        /// Waiting for the last connection to close (``waitUntilEmpty()``).
        var emptyWaiters: [CheckedContinuation<Void, Never>] = []
    }

    enum Admission {
        /// Admitted; at the limit, in place of the connection given, which the caller closes.
        case admitted(displacing: (any Channel)?)
        case refused
    }

    private let state = Mutex(State())
    let limit: Int

    init(limit: Int) {
        self.limit = limit
    }

    /// At the limit, the longest-idle connection makes room. One whose request bytes are arriving
    /// on another thread at this moment may still be picked: its sender sees the connection drop
    /// before any answer, so it retries, as after any network failure.
    func admit(_ channel: any Channel) -> Admission {
        state.withLock { state in
            var displaced: (any Channel)?
            if state.open.count >= limit {
                guard let idlest = Self.longestIdle(in: state.open) else { return .refused }
                displaced = state.open.removeValue(forKey: idlest)?.channel
            }
            state.open[ObjectIdentifier(channel)] = Connection(channel: channel, idleSince: .now)
            return .admitted(displacing: displaced)
        }
    }

    private static func longestIdle(in open: [ObjectIdentifier: Connection]) -> ObjectIdentifier? {
        var found: (key: ObjectIdentifier, since: ContinuousClock.Instant)?
        for (key, connection) in open {
            guard let since = connection.idleSince else { continue }
            if found.map({ since < $0.since }) ?? true { found = (key, since) }
        }
        return found?.key
    }

    func release(_ channel: any Channel) {
        let waiters = state.withLock { state -> [CheckedContinuation<Void, Never>] in
            state.open.removeValue(forKey: ObjectIdentifier(channel))
            guard state.open.isEmpty else { return [] }
            defer { state.emptyWaiters = [] }
            return state.emptyWaiters
        }
        waiters.forEach { $0.resume() }
    }

    /// Returns once no connection is open, or when ``stopWaiting()`` is called.
    func waitUntilEmpty() async {
        await withCheckedContinuation { continuation in
            let empty = state.withLock { state in
                if state.open.isEmpty { return true }
                state.emptyWaiters.append(continuation)
                return false
            }
            if empty { continuation.resume() }
        }
    }

    /// Ends every ``waitUntilEmpty()`` now: the grace period is over.
    func stopWaiting() {
        let waiters = state.withLock { state in
            defer { state.emptyWaiters = [] }
            return state.emptyWaiters
        }
        waiters.forEach { $0.resume() }
    }

    /// A request began arriving: the connection may no longer make room for a new one.
    func markBusy(_ channel: any Channel) {
        state.withLock { $0.open[ObjectIdentifier(channel)]?.idleSince = nil }
    }

    /// The connection waits for its next request.
    func markIdle(_ channel: any Channel) {
        state.withLock { $0.open[ObjectIdentifier(channel)]?.idleSince = .now }
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
            return state.open.values.map(\.channel)
        }
    }
}

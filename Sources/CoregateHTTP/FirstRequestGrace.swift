import NIOCore

import NIOHTTP1

/// Lets a connection accepted just before a graceful shutdown deliver its first request.
///
/// On shutdown, NIO's HTTP pipeline closes at once every connection with no request in progress.
/// A connection accepted a moment before the listener closed usually has its request already
/// waiting in the kernel, not yet read: closing it resets a sender whose connection the server
/// took. Under systemd that turns `systemctl restart`, which the socket unit otherwise makes
/// invisible to senders, into a failed delivery. So the shutdown signal is held back from a
/// connection whose first request head has not arrived yet, until it does (the request is then in
/// progress, and is answered before the connection closes) or a short grace ends. Bytes alone do
/// not count: a TLS handshake, or half a head, is not a request the pipeline would wait for.
///
/// A connection whose pipeline is set up after shutdown began may have missed the signal, so it
/// also asks the registry when it is added. It sits between the HTTP decoder and the pipelining
/// handler, so it sees the decoded head and the signal before the handler that acts on both, and
/// passes the signal on once. Once the first head has passed it leaves the pipeline.
final class FirstRequestGrace: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias InboundOut = HTTPServerRequestPart

    private let connections: ConnectionRegistry
    private let grace: TimeAmount
    private var receivedHead = false
    private var passedOn = false
    private var heldBack: Scheduled<Void>?

    init(connections: ConnectionRegistry, grace: TimeAmount = .seconds(1)) {
        self.connections = connections
        self.grace = grace
    }

    func handlerAdded(context: ChannelHandlerContext) {
        if connections.isStopping { shouldQuiesce(context: context) }
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        heldBack?.cancel()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        receivedHead = true
        context.fireChannelRead(data)
        // The pipelining handler has the head now, so it waits to answer the request.
        if heldBack != nil { passOn(context: context) }
        // From here on this handler would only pass things along, a signal included, and every
        // part of every later request on the connection would pay for the pass.
        context.pipeline.syncOperations.removeHandler(context: context, promise: nil)
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if event is ChannelShouldQuiesceEvent {
            shouldQuiesce(context: context)
        } else {
            context.fireUserInboundEventTriggered(event)
        }
    }

    private func shouldQuiesce(context: ChannelHandlerContext) {
        guard !passedOn, heldBack == nil else { return }
        if receivedHead {
            passOn(context: context)
            return
        }
        let loopBound = NIOLoopBound((self, context), eventLoop: context.eventLoop)
        heldBack = context.eventLoop.scheduleTask(in: grace) {
            let (handler, context) = loopBound.value
            handler.passOn(context: context)
        }
    }

    private func passOn(context: ChannelHandlerContext) {
        heldBack?.cancel()
        heldBack = nil
        passedOn = true
        context.fireUserInboundEventTriggered(ChannelShouldQuiesceEvent())
    }
}

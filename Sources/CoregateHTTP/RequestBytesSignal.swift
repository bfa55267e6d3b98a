import NIOCore
import NIOHTTP1

/// Sent up the pipeline whenever request bytes arrive, before the HTTP decoder has a whole head.
struct RequestBytesArrived {}

/// Whether a connection's socket stays registered for reading while a request is answered.
///
/// NIO's pipelining handler pauses reading from a request's end until its answer is written, so
/// that the requests a client pipelines wait in the kernel instead of in memory. Pausing and
/// resuming are an `epoll_ctl` each: two system calls per request, which showed in profiles of
/// the ingest path beside the one `read` and one `writev` the request needs. A client that waits
/// for each answer (every webhook sender seen so far) sends nothing in between, so the socket can
/// stay registered. Once a client does send while an answer is pending, or shutdown begins, this
/// is off for good and NIO's handler paces the connection as it does by default; until then at
/// most one read's worth of pipelined bytes is taken early, so memory stays bounded.
final class ReadWhileAnswering {
    private(set) var enabled = true

    func disable() {
        enabled = false
    }
}

/// Sits just before the HTTP decoder, after TLS, so it sees the request's own bytes (never the
/// handshake's) and tells the request handler when they start coming. Without it the handler learns
/// of a request only once its head is complete, and a head trickled over a kept-alive connection
/// would be bounded by the idle timeout instead of the read timeout.
///
/// It also keeps the socket reading after each read (see `ReadWhileAnswering`): being closer to
/// the socket than NIO's pipelining handler, its `read` is not held back by it.
final class RequestBytesSignal: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer

    private let readWhileAnswering: ReadWhileAnswering

    init(readWhileAnswering: ReadWhileAnswering) {
        self.readWhileAnswering = readWhileAnswering
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        context.fireUserInboundEventTriggered(RequestBytesArrived())
        context.fireChannelRead(data)
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        // Before the channel's own read after this completion, which the pipelining handler
        // would hold back while the request is answered, unregistering the socket.
        if readWhileAnswering.enabled { context.read() }
        context.fireChannelReadComplete()
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if event is ChannelShouldQuiesceEvent { readWhileAnswering.disable() }
        context.fireUserInboundEventTriggered(event)
    }
}

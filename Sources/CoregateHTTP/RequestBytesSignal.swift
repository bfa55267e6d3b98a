import NIOCore

/// Sent up the pipeline whenever request bytes arrive, before the HTTP decoder has a whole head.
struct RequestBytesArrived {}

/// Sits just before the HTTP decoder, after TLS, so it sees the request's own bytes (never the
/// handshake's) and tells the request handler when they start coming. Without it the handler learns
/// of a request only once its head is complete, and a head trickled over a kept-alive connection
/// would be bounded by the idle timeout instead of the read timeout.
final class RequestBytesSignal: ChannelInboundHandler, RemovableChannelHandler, Sendable {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        context.fireUserInboundEventTriggered(RequestBytesArrived())
        context.fireChannelRead(data)
    }
}

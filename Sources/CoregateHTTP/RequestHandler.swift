import NIOCore
import NIOHTTP1
import NIOSSL
import NIOTLS

public typealias Responder = @Sendable (InboundRequest) async -> Answer

/// Translates HTTP parts into one `InboundRequest`, hands it to the responder, and writes the `Answer`.
/// It also enforces what only it can see: the body limit, and how long a request may take to arrive.
final class RequestHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    private enum State {
        /// Between requests on a keep-alive connection.
        case idle
        case receiving(HTTPRequestHead, ByteBuffer)
        /// The responder has the request; reads stay paused by the pipelining handler.
        case responding
        /// A limit was hit and the answer is on its way; the connection will close.
        case rejected
    }

    private let limits: HTTPLimits
    private let responder: Responder
    private var state = State.idle
    private var deadline: Scheduled<Void>?
    /// Read once, when the TLS handshake completes; a server never renegotiates, so it holds for
    /// every request on the connection. Stays nil on plain HTTP.
    private var peerCertificate: PeerCertificate?

    init(limits: HTTPLimits, responder: @escaping Responder) {
        self.limits = limits
        self.responder = responder
    }

    func handlerAdded(context: ChannelHandlerContext) {
        // A new connection is idle, but its first request must also arrive within the read timeout.
        armDeadline(context: context, after: min(limits.readTimeout, limits.idleTimeout))
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        deadline?.cancel()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch (unwrapInboundIn(data), state) {
        case (.head(let head), .idle):
            armDeadline(context: context, after: limits.readTimeout)
            if let length = head.headers.first(name: "content-length").flatMap(Int.init), length > limits.maxBody {
                reject(context: context, head: head, answer: .payloadTooLarge)
                return
            }
            state = .receiving(head, context.channel.allocator.buffer(capacity: 0))
            // curl and others wait about a second for this before sending a large body.
            if head.headers.first(name: "expect")?.lowercased() == "100-continue" {
                context.writeAndFlush(
                    wrapOutboundOut(.head(HTTPResponseHead(version: head.version, status: .continue))), promise: nil)
            }
        case (.body(var chunk), .receiving(let head, var body)):
            guard body.readableBytes + chunk.readableBytes <= limits.maxBody else {
                reject(context: context, head: head, answer: .payloadTooLarge)
                return
            }
            state = .responding  // drop the reference held by `state` so the append does not copy
            body.writeBuffer(&chunk)
            state = .receiving(head, body)
        case (.end, .receiving(let head, let body)):
            deadline?.cancel()
            state = .responding
            respond(context: context, head: head, body: body)
        default:
            // Parts after a rejection are dropped; the connection is closing.
            break
        }
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if case TLSUserEvent.handshakeCompleted = event,
            let certificate = try? context.pipeline.syncOperations.nioSSL_peerCertificate()
        {
            peerCertificate = PeerCertificate(certificate)
        }
        context.fireUserInboundEventTriggered(event)
    }

    func errorCaught(context: ChannelHandlerContext, error: Error) {
        context.close(promise: nil)
    }

    private func respond(context: ChannelHandlerContext, head: HTTPRequestHead, body: ByteBuffer) {
        let request = InboundRequest(
            method: head.method, uri: head.uri, headers: head.headers, body: body,
            peer: context.channel.remoteAddress, peerCertificate: peerCertificate, requestID: RequestID.from(head.headers))
        let responder = self.responder
        let promise = context.eventLoop.makePromise(of: Answer.self)
        promise.completeWithTask { await responder(request) }
        promise.futureResult.assumeIsolated().whenSuccess { answer in
            let keepAlive = head.isKeepAlive
            if keepAlive {
                // Before the write: writing `.end` lets the pipelining handler deliver the next request at once.
                self.state = .idle
                self.armDeadline(context: context, after: self.limits.idleTimeout)
            }
            let written = self.write(
                answer, requestID: request.requestID, version: head.version, keepAlive: keepAlive, context: context)
            if !keepAlive {
                written.assumeIsolated().whenComplete { _ in context.close(promise: nil) }
            }
        }
    }

    private func reject(context: ChannelHandlerContext, head: HTTPRequestHead, answer: Answer) {
        deadline?.cancel()
        state = .rejected
        write(answer, requestID: RequestID.from(head.headers), version: head.version, keepAlive: false, context: context)
            .assumeIsolated().whenComplete { _ in context.close(promise: nil) }
    }

    private func write(
        _ answer: Answer, requestID: String, version: HTTPVersion, keepAlive: Bool, context: ChannelHandlerContext
    ) -> EventLoopFuture<Void> {
        var headers = HTTPHeaders()
        headers.add(name: "content-type", value: answer.contentType)
        headers.add(name: "content-length", value: String(answer.body.utf8.count))
        headers.add(name: "x-request-id", value: requestID)
        headers.add(name: "connection", value: keepAlive ? "keep-alive" : "close")
        context.write(wrapOutboundOut(.head(HTTPResponseHead(version: version, status: answer.status, headers: headers))), promise: nil)
        context.write(wrapOutboundOut(.body(.byteBuffer(context.channel.allocator.buffer(string: answer.body)))), promise: nil)
        return context.writeAndFlush(wrapOutboundOut(.end(nil)))
    }

    /// One timer per connection: while idle it bounds the keep-alive, while receiving it bounds the
    /// whole request, so a client that trickles its headers is dropped however slowly it sends.
    private func armDeadline(context: ChannelHandlerContext, after timeout: Duration) {
        deadline?.cancel()
        let loopBound = NIOLoopBound((self, context), eventLoop: context.eventLoop)
        deadline = context.eventLoop.scheduleTask(in: TimeAmount(timeout)) {
            let (handler, context) = loopBound.value
            switch handler.state {
            case .idle, .receiving: context.close(promise: nil)
            case .responding, .rejected: break
            }
        }
    }
}

/// The id that ties a request's log lines together.
enum RequestID {
    static func from(_ headers: HTTPHeaders) -> String {
        if let sent = headers.first(name: "x-request-id"), isSane(sent) { return sent }
        return generate()
    }

    static func generate() -> String {
        let value = UInt64.random(in: .min ... .max)
        let hex = String(value, radix: 16)
        return String(repeating: "0", count: 16 - hex.count) + hex
    }

    /// A client id goes into logs and headers, so only short, plain ones are kept.
    private static func isSane(_ id: String) -> Bool {
        (1...128).contains(id.utf8.count)
            && id.utf8.allSatisfy { byte in
                (byte >= 0x30 && byte <= 0x39) || (byte >= 0x41 && byte <= 0x5A) || (byte >= 0x61 && byte <= 0x7A)
                    || byte == 0x2D || byte == 0x2E || byte == 0x5F || byte == 0x3A
            }
    }
}

import NIOCore
import NIOHTTP1
import NIOSSL
import NIOTLS

/// Translates HTTP parts into a `RequestHead` for the responder to decide on and, when it wants the
/// body, one `InboundRequest`; writes the `Answer`. It also enforces what only it can see: the body
/// limit, and how long a request may take to arrive.
final class RequestHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart
    typealias Respond = @Sendable (InboundRequest, Reply) -> Void

    private enum State {
        /// Between requests on a keep-alive connection.
        case idle
        case receiving(RequestHead, HTTPRequestHead, Respond, ByteBuffer)
        /// The responder has the request; reads stay paused by the pipelining handler.
        case responding
        /// Answered from the head while the client may still be sending the body: what arrives is
        /// dropped unread until the request ends, so the client is not reset before it reads the
        /// answer, and then the connection closes.
        case discarding
        /// A limit was hit and the answer is on its way; the connection will close.
        case rejected
    }

    private let limits: HTTPLimits
    private let responder: Responder
    private let connections: ConnectionRegistry
    private let readWhileAnswering: ReadWhileAnswering
    private var state = State.idle
    /// When the connection is dropped unless the state has moved on (see `armDeadline`).
    private var deadline = NIODeadline.distantFuture
    /// The one timer, which may fire before `deadline`: it then waits again.
    private var timer: (task: Scheduled<Void>, firesAt: NIODeadline)?
    /// Bytes of the next request came while none was being received: from then on it must arrive
    /// whole within the read timeout, however slowly it trickles.
    private var nextRequestBegun = false
    /// Read once, when the TLS handshake completes; a server never renegotiates, so it holds for
    /// every request on the connection. Stays nil on plain HTTP.
    private var peerCertificate: PeerCertificate?

    init(
        limits: HTTPLimits, connections: ConnectionRegistry, readWhileAnswering: ReadWhileAnswering,
        responder: @escaping Responder
    ) {
        self.limits = limits
        self.connections = connections
        self.readWhileAnswering = readWhileAnswering
        self.responder = responder
    }

    func handlerAdded(context: ChannelHandlerContext) {
        // A new connection is idle, but its first request must also arrive within the read timeout.
        armDeadline(context: context, after: min(limits.readTimeout, limits.idleTimeout))
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        timer?.task.cancel()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch (unwrapInboundIn(data), state) {
        case (.head(let head), .idle):
            nextRequestBegun = false
            if let length = head.headers.first(name: "content-length").flatMap(Int.init), length > limits.maxBody {
                reject(context: context, head: head, answer: .payloadTooLarge)
                return
            }
            let request = RequestHead(
                method: head.method, uri: head.uri, headers: head.headers, peer: context.channel.remoteAddress,
                peerCertificate: peerCertificate, requestID: RequestID.from(head.headers))
            switch responder(request) {
            case .readBody(let respond):
                receive(context: context, request: request, head: head, respond: respond)
                // curl and others wait about a second for this before sending a large body.
                if head.expectsContinue {
                    context.writeAndFlush(
                        wrapOutboundOut(.head(HTTPResponseHead(version: head.version, status: .continue))), promise: nil)
                }
            case .answer(let answer) where !head.announcesBody:
                // Nothing to read: answered as any request is, keep-alive included.
                receive(context: context, request: request, head: head, respond: { _, reply in reply { answer } })
            case .answer(let answer):
                answerBeforeBody(context: context, head: head, requestID: request.requestID, answer: answer)
            }
        case (.body(var chunk), .receiving(let request, let head, let respond, var body)):
            guard body.readableBytes + chunk.readableBytes <= limits.maxBody else {
                reject(context: context, head: head, answer: .payloadTooLarge)
                return
            }
            state = .responding  // drop the reference held by `state` so the append does not copy
            body.writeBuffer(&chunk)
            state = .receiving(request, head, respond, body)
        case (.end, .receiving(let request, let head, let respond, let body)):
            disarmDeadline()
            state = .responding
            self.respond(context: context, request: InboundRequest(head: request, body: body), head: head, respond: respond)
        case (.end, .discarding):
            context.close(promise: nil)
        default:
            // Parts after a rejection, or of a body answered without it, are dropped.
            break
        }
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if event is RequestBytesArrived {
            requestBytesArrived(context: context)
            return
        }
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

    private func requestBytesArrived(context: ChannelHandlerContext) {
        guard !nextRequestBegun else { return }
        switch state {
        case .idle:
            nextRequestBegun = true
            connections.markBusy(context.channel)
            armDeadline(context: context, after: limits.readTimeout)
        case .responding:
            // A pipelined request: its clock starts when the answer before it is written, and
            // from now on NIO's pipelining handler paces this connection's reads.
            nextRequestBegun = true
            readWhileAnswering.disable()
        case .receiving, .discarding, .rejected:
            break
        }
    }

    private func receive(context: ChannelHandlerContext, request: RequestHead, head: HTTPRequestHead, respond: @escaping Respond) {
        state = .receiving(request, head, respond, context.channel.allocator.buffer(capacity: 0))
    }

    private func respond(context: ChannelHandlerContext, request: InboundRequest, head: HTTPRequestHead, respond: @escaping Respond) {
        let requestID = request.head.requestID
        let reply = Reply(eventLoop: context.eventLoop) { answer in
            self.answered(answer, requestID: requestID, head: head, context: context)
        }
        respond(request, reply)
    }

    private func answered(_ answer: Answer, requestID: String, head: HTTPRequestHead, context: ChannelHandlerContext) {
        let keepAlive = head.isKeepAlive
        if keepAlive {
            // Before the write: writing `.end` lets the pipelining handler deliver the next request at once.
            state = .idle
            if nextRequestBegun {
                armDeadline(context: context, after: limits.readTimeout)
            } else {
                connections.markIdle(context.channel)
                armDeadline(context: context, after: limits.idleTimeout)
            }
        }
        write(answer, requestID: requestID, version: head.version, keepAlive: keepAlive, thenClose: !keepAlive, context: context)
    }

    /// A client waiting for `100 Continue` sends no body after a final answer, so the connection
    /// closes once it is written; any other is still sending, and what it sends is dropped.
    private func answerBeforeBody(context: ChannelHandlerContext, head: HTTPRequestHead, requestID: String, answer: Answer) {
        write(answer, requestID: requestID, version: head.version, keepAlive: false, thenClose: head.expectsContinue, context: context)
        if head.expectsContinue {
            disarmDeadline()
            state = .rejected
        } else {
            state = .discarding  // the read deadline still bounds how long that may take
        }
    }

    private func reject(context: ChannelHandlerContext, head: HTTPRequestHead, answer: Answer) {
        disarmDeadline()
        state = .rejected
        write(
            answer, requestID: RequestID.from(head.headers), version: head.version, keepAlive: false, thenClose: true,
            context: context)
    }

    /// Closes the connection once the answer is written when `thenClose`; only then is a promise
    /// made for the write, since most answers are on a kept-alive connection.
    private func write(
        _ answer: Answer, requestID: String, version: HTTPVersion, keepAlive: Bool, thenClose: Bool,
        context: ChannelHandlerContext
    ) {
        var headers = HTTPHeaders()
        headers.reserveCapacity(4)  // one allocation, not one for each time the array grows
        headers.add(name: "content-type", value: answer.contentType)
        headers.add(name: "content-length", value: String(answer.body.utf8.count))
        headers.add(name: "x-request-id", value: requestID)
        headers.add(name: "connection", value: keepAlive ? "keep-alive" : "close")
        context.write(wrapOutboundOut(.head(HTTPResponseHead(version: version, status: answer.status, headers: headers))), promise: nil)
        context.write(wrapOutboundOut(.body(.byteBuffer(context.channel.allocator.buffer(string: answer.body)))), promise: nil)
        guard thenClose else { return context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: nil) }
        context.writeAndFlush(wrapOutboundOut(.end(nil))).assumeIsolated().whenComplete { _ in context.close(promise: nil) }
    }

    /// One deadline per connection: while idle it bounds the keep-alive; from a request's first
    /// byte it bounds the whole request, so a client that trickles its head or body is dropped
    /// however slowly it sends.
    ///
    /// The deadline moves with every request, but the timer is rescheduled only when it would
    /// fire too late; one that fires early finds the deadline moved and waits again. Scheduling
    /// and cancelling a timer for each request (three times: at its first byte, its end and its
    /// answer) showed in profiles of the event loops.
    private func armDeadline(context: ChannelHandlerContext, after timeout: Duration) {
        deadline = .now() + TimeAmount(timeout)
        if let timer, timer.firesAt <= deadline { return }
        timer?.task.cancel()
        scheduleTimer(context: context, at: deadline)
    }

    private func disarmDeadline() {
        deadline = .distantFuture
    }

    private func scheduleTimer(context: ChannelHandlerContext, at time: NIODeadline) {
        let loopBound = NIOLoopBound((self, context), eventLoop: context.eventLoop)
        let task = context.eventLoop.scheduleTask(deadline: time) {
            let (handler, context) = loopBound.value
            handler.timerFired(context: context)
        }
        timer = (task, time)
    }

    private func timerFired(context: ChannelHandlerContext) {
        timer = nil
        if deadline == .distantFuture { return }
        if NIODeadline.now() < deadline {
            scheduleTimer(context: context, at: deadline)
            return
        }
        switch state {
        case .idle, .receiving, .discarding: context.close(promise: nil)
        case .responding, .rejected: break
        }
    }
}

extension HTTPRequestHead {
    /// Whether a body follows the head (RFC 9112 §6.3): a request without `Content-Length` or
    /// `Transfer-Encoding` has none.
    fileprivate var announcesBody: Bool {
        if headers.contains(name: "transfer-encoding") { return true }
        return headers.first(name: "content-length").flatMap(Int.init).map { $0 > 0 } ?? false
    }

    /// The client waits for `100 Continue` before it sends the body.
    fileprivate var expectsContinue: Bool {
        headers.first(name: "expect")?.lowercased() == "100-continue"
    }
}

/// The id that ties a request's log lines together.
enum RequestID {
    static func from(_ headers: HTTPHeaders) -> String {
        if let sent = headers.first(name: "x-request-id"), isSane(sent) { return sent }
        return generate()
    }

    /// 16 hex digits, written straight into the string: one allocation per request, not three.
    static func generate() -> String {
        let value = UInt64.random(in: .min ... .max)
        return String(unsafeUninitializedCapacity: 16) { digits in
            for position in 0..<16 {
                let nibble = UInt8(truncatingIfNeeded: value >> (60 - 4 * position)) & 0x0F
                digits[position] = nibble < 10 ? UInt8(ascii: "0") + nibble : UInt8(ascii: "a") + nibble - 10
            }
            return 16
        }
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

import NIOCore
import NIOHTTP1

/// A request as far as its head: everything the checks that need no body decide on (route, path
/// token, source, credentials, client certificate) before a body byte is read.
public struct RequestHead: Sendable {
    public var method: HTTPMethod
    /// The path without the query string, as sent (not percent-decoded: routes are compared byte for byte).
    public var path: String
    /// The raw query string after `?`, or empty.
    public var query: String
    public var headers: HTTPHeaders
    /// The TCP peer; nil only for a Unix socket.
    public var peer: SocketAddress?
    /// The client certificate, on a TLS connection whose client sent one (which then chains to
    /// `client_ca`: the handshake refuses any other).
    public var peerCertificate: PeerCertificate?
    /// `X-Request-Id` from the client when it sent a sane one, else generated; echoed in the answer.
    public var requestID: String

    public init(
        method: HTTPMethod, uri: String, headers: HTTPHeaders, peer: SocketAddress?,
        peerCertificate: PeerCertificate? = nil, requestID: String
    ) {
        self.method = method
        if let mark = uri.firstIndex(of: "?") {
            self.path = String(uri[..<mark])
            self.query = String(uri[uri.index(after: mark)...])
        } else {
            self.path = uri
            self.query = ""
        }
        self.headers = headers
        self.peer = peer
        self.peerCertificate = peerCertificate
        self.requestID = requestID
    }
}

/// One complete HTTP request as the body stage sees it: no NIO channel, no partial body.
public struct InboundRequest: Sendable {
    public var head: RequestHead
    public var body: ByteBuffer

    public init(head: RequestHead, body: ByteBuffer) {
        self.head = head
        self.body = body
    }
}

/// What the server does with a request once its head has arrived.
public enum HeadDecision: Sendable {
    /// Answer without reading the body: it is never buffered, and `100 Continue` is never sent.
    case answer(Answer)
    /// Read the body (after `100 Continue` when the client waits for it), then call this with the
    /// request and its `Reply`. It runs on the connection's event loop, so it must not block:
    /// what waits (a commit, a handler run) happens elsewhere and replies from there.
    case readBody(@Sendable (InboundRequest, Reply) -> Void)

    /// Reads the body, then answers with what `respond` returns, from a task.
    public static func readBody(async respond: @escaping @Sendable (InboundRequest) async -> Answer) -> HeadDecision {
        .readBody { request, reply in
            Task {
                let answer = await respond(request)
                reply { answer }
            }
        }
    }
}

/// Answers one request whose body was read: called once, from any thread. `answer` runs on the
/// connection's event loop, so the work that follows a commit (the access log line, metrics)
/// is done there rather than on the thread that committed, and a caller already on the event
/// loop answers with no hop at all.
public struct Reply: Sendable {
    private let eventLoop: any EventLoop
    private let write: NIOLoopBound<(Answer) -> Void>

    init(eventLoop: any EventLoop, write: @escaping (Answer) -> Void) {
        self.eventLoop = eventLoop
        self.write = NIOLoopBound(write, eventLoop: eventLoop)
    }

    public func callAsFunction(_ answer: @escaping @Sendable () -> Answer) {
        if eventLoop.inEventLoop {
            write.value(answer())
        } else {
            let write = self.write
            eventLoop.execute { write.value(answer()) }
        }
    }
}

/// Decides on a request head. It runs on the connection's event loop, so it must not block:
/// it only looks things up and compares.
public typealias Responder = @Sendable (RequestHead) -> HeadDecision

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
    /// Read the body (after `100 Continue` when the client waits for it), then answer with this.
    case readBody(@Sendable (InboundRequest) async -> Answer)
}

/// Decides on a request head. It runs on the connection's event loop, so it must not block:
/// it only looks things up and compares.
public typealias Responder = @Sendable (RequestHead) -> HeadDecision

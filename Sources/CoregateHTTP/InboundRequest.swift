import NIOCore
import NIOHTTP1

/// One complete HTTP request as the rest of the pipeline sees it: no NIO channel, no partial body.
public struct InboundRequest: Sendable {
    public var method: HTTPMethod
    /// The path without the query string, as sent (not percent-decoded: routes are compared byte for byte).
    public var path: String
    /// The raw query string after `?`, or empty.
    public var query: String
    public var headers: HTTPHeaders
    public var body: ByteBuffer
    /// The TCP peer; nil only for a Unix socket.
    public var peer: SocketAddress?
    /// The client certificate, on a TLS connection whose client sent one (which then chains to
    /// `client_ca`: the handshake refuses any other).
    public var peerCertificate: PeerCertificate?
    /// `X-Request-Id` from the client when it sent a sane one, else generated; echoed in the answer.
    public var requestID: String

    public init(
        method: HTTPMethod, uri: String, headers: HTTPHeaders, body: ByteBuffer, peer: SocketAddress?,
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
        self.body = body
        self.peer = peer
        self.peerCertificate = peerCertificate
        self.requestID = requestID
    }
}

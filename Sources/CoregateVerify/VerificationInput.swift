/// What the HTTP layer knows about one request, handed to `Verifier` whole.
/// The checks read only this, so they run without a socket and tests build one by hand.
public struct VerificationInput: Sendable {
    /// The raw query, after `?` and still percent-encoded; empty when there is none.
    public var query: String
    /// In the order received; a name may repeat.
    public var headers: [(name: String, value: String)]
    /// The body exactly as received: a signature covers these bytes, not a re-serialisation.
    public var body: [UInt8]
    /// The TCP peer as 16 bytes (see `CIDR.addressBytes`), IPv4 as IPv4-mapped IPv6;
    /// nil when the socket has no IP peer, such as a Unix socket.
    public var peerAddress: [UInt8]?
    /// Present only where coregate terminates TLS and the client sent a certificate.
    public var clientCertificate: ClientCertificateInfo?

    public init(
        query: String = "", headers: [(name: String, value: String)] = [], body: [UInt8] = [],
        peerAddress: [UInt8]? = nil, clientCertificate: ClientCertificateInfo? = nil
    ) {
        self.query = query
        self.headers = headers
        self.body = body
        self.peerAddress = peerAddress
        self.clientCertificate = clientCertificate
    }

    /// Every value of the header `name`, compared case-insensitively as HTTP field names are.
    func headerValues(named name: String) -> [String] {
        let wanted = name.lowercased()
        return headers.filter { $0.name.lowercased() == wanted }.map(\.value)
    }
}

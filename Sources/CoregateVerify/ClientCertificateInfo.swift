/// The TLS client certificate a request came with, reduced to what a tenant could pin.
/// Carried through verification now so pinning can be added without changing the HTTP layer.
public struct ClientCertificateInfo: Sendable, Equatable {
    /// SHA-256 of the certificate's DER encoding, 32 bytes.
    public var sha256Fingerprint: [UInt8]
    /// The subject distinguished name as the TLS library prints it.
    public var subject: String

    public init(sha256Fingerprint: [UInt8], subject: String) {
        self.sha256Fingerprint = sha256Fingerprint
        self.subject = subject
    }
}

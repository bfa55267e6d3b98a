import CoregateTenants
import Crypto

/// The TLS client certificate a request came with, reduced to what a tenant can pin.
/// Only a certificate that `client_ca` signed gets this far: the TLS layer refuses any other.
public struct ClientCertificateInfo: Sendable, Equatable {
    /// SHA-256 of the certificate's DER encoding, 32 bytes.
    public var sha256Fingerprint: [UInt8]
    public var subject: DistinguishedName

    public init(sha256Fingerprint: [UInt8], subject: DistinguishedName) {
        self.sha256Fingerprint = sha256Fingerprint
        self.subject = subject
    }

    public init(derEncoded: [UInt8], subject: DistinguishedName) {
        self.init(sha256Fingerprint: Array(SHA256.hash(data: derEncoded)), subject: subject)
    }
}

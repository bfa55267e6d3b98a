import NIOSSL

/// The client certificate of a TLS connection, as the rest of the pipeline may see it: no NIOSSL
/// type crosses into the later stages.
public struct PeerCertificate: Sendable, Equatable {
    public var derEncoded: [UInt8]
    /// The subject's attributes in the certificate's order (most general first), named as
    /// OpenSSL names them; an attribute the TLS library cannot name is `?`.
    public var subject: [Attribute]

    public struct Attribute: Sendable, Equatable {
        public var type: String
        public var value: String
    }

    init?(_ certificate: NIOSSLCertificate) {
        guard let der = try? certificate.toDERBytes() else { return nil }
        derEncoded = der
        subject = certificate.subjectName.map { Attribute(type: Self.names[$0.type] ?? "?", value: $0.value) }
    }

    private static let names: [SSLCertificateNameType: String] = [
        .commonName: "CN", .organization: "O", .organizationalUnit: "OU", .city: "L", .state: "ST",
        .country: "C", .emailAddress: "emailAddress", .userId: "UID",
    ]
}

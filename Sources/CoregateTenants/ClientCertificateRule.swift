/// What a tenant asks of the TLS client certificate (`client_cert`, `client_cert_sha256` and
/// `client_cert_subjects` in `[verify]`).
///
/// The TLS layer has already checked that `client_ca` signed the certificate; this says which of
/// those certificates the tenant accepts. With no pins, any of them will do.
public struct ClientCertificateRule: Sendable, Equatable {
    /// SHA-256 of each accepted certificate's DER encoding, 32 bytes each.
    public var sha256Fingerprints: [[UInt8]]
    public var subjects: [DistinguishedName]

    public init(sha256Fingerprints: [[UInt8]] = [], subjects: [DistinguishedName] = []) {
        self.sha256Fingerprints = sha256Fingerprints
        self.subjects = subjects
    }

    public var pinsCertificates: Bool { !sha256Fingerprints.isEmpty || !subjects.isEmpty }
}

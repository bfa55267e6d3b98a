import CoregateTenants

/// `client_cert`, `client_cert_sha256`, `client_cert_subjects`: the request came over TLS with a
/// client certificate, and, when the tenant pins certificates, with one of those.
///
/// The TLS layer only asks for a certificate (some tenants on the same socket need none) and
/// refuses one that `client_ca` did not sign; this is where a tenant's requirement is enforced.
struct ClientCertificateCheck: Sendable {
    let rule: ClientCertificateRule

    func passes(_ certificate: ClientCertificateInfo?) -> Bool {
        guard let certificate else { return false }
        guard rule.pinsCertificates else { return true }
        return rule.sha256Fingerprints.contains(certificate.sha256Fingerprint) || rule.subjects.contains(certificate.subject)
    }
}

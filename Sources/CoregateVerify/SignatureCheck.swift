import CoregateTenants
import Crypto

/// `hmac_sha256`: an HMAC-SHA256 of the raw body, keyed by a shared secret, in a header
/// (`X-Hub-Signature-256: sha256=<hex>` as the Cloud API sends it).
///
/// Every configured secret is tried and every comparison runs, so an old and a new secret are
/// both accepted during a rotation and the time taken does not tell which one matched.
struct SignatureCheck: Sendable {
    let keys: [SymmetricKey]
    let headerName: String

    init(secrets: [Secret], headerName: String) {
        keys = secrets.map { SymmetricKey(data: $0.value) }
        self.headerName = headerName
    }

    func passes(_ input: VerificationInput) -> Bool {
        var matched = false
        for value in input.headerValues(named: headerName) {
            guard let given = Self.signature(in: value) else { continue }
            for key in keys {
                // swift-crypto compares in constant time. Check first, then combine, so no key is
                // skipped once one has matched.
                let valid = HMAC<SHA256>.isValidAuthenticationCode(given, authenticating: input.body, using: key)
                matched = matched || valid
            }
        }
        return matched
    }

    /// The MAC a header value spells: 64 hex digits of either case, after an optional `sha256=`
    /// (the Cloud API's form; a sender configured with another header may send bare hex).
    private static func signature(in value: String) -> [UInt8]? {
        var hex = value.trimmingOptionalWhitespace()
        if hex.lowercased().hasPrefix("sha256=") {
            hex = hex.dropFirst("sha256=".count)
        }
        guard let bytes = decodeHex(hex), bytes.count == SHA256.byteCount else { return nil }
        return bytes
    }
}

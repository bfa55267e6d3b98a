/// Reads a tenant's `[verify]` table (SPEC §4): which checks a request must pass.
enum VerifyTableParser {
    /// `mutualTLS`: whether the global config sets `client_ca`; without it no client certificate
    /// ever reaches a tenant, so asking for one is a mistake to report, not a tenant nobody can reach.
    static func parse(_ table: TableReader, secrets: SecretResolver, mutualTLS: Bool) -> VerifyConfig {
        var verify = VerifyConfig()
        if let keys = table.secrets("hmac_sha256", using: secrets) { verify.hmacSHA256 = keys }
        if let header = table.string("hmac_header") {
            if isHeaderName(header) {
                verify.hmacHeader = header
            } else {
                table.log.error("`\(table.keyPath("hmac_header"))`: \"\(header)\" is not an HTTP header name", at: table.keyPath("hmac_header"))
            }
        }
        if let basic = table.table("basic") {
            verify.basic = parseBasic(basic, secrets: secrets)
        }
        verify.bearer = table.secret("bearer", using: secrets)
        if let networks = table.networks("allow_from") { verify.allowFrom = networks }
        verify.verifyToken = table.secret("verify_token", using: secrets)
        verify.clientCertificate = parseClientCertificate(table, mutualTLS: mutualTLS)
        table.reportUnknownKeys()
        return verify
    }

    /// `client_cert = true` asks for any certificate `client_ca` signed; either list of pins
    /// narrows that down to the certificates it names (and implies `client_cert = true`).
    private static func parseClientCertificate(_ table: TableReader, mutualTLS: Bool) -> ClientCertificateRule? {
        let required = table.bool("client_cert")
        let fingerprints = pins(table, "client_cert_sha256", parseFingerprint)
        let subjects = pins(table, "client_cert_subjects", parseSubject)
        let pinned = fingerprints != nil || subjects != nil
        if required == false && pinned {
            table.log.error(
                "`\(table.keyPath("client_cert"))` is false, but the tenant pins client certificates: set it to true or remove it",
                at: table.keyPath("client_cert"))
        }
        guard required == true || pinned else { return nil }
        if !mutualTLS {
            let key = ["client_cert", "client_cert_sha256", "client_cert_subjects"].first { table.value($0) != nil } ?? "client_cert"
            table.log.error(
                "`\(table.keyPath(key))` needs mutual TLS: set client_ca (with tls_cert and tls_key) in the global config",
                at: table.keyPath(key))
        }
        return ClientCertificateRule(sha256Fingerprints: fingerprints ?? [], subjects: subjects ?? [])
    }

    /// A list of pins, each read by `parse`; nil when the key is absent.
    private static func pins<Pin>(
        _ table: TableReader, _ key: String, _ parse: (String, KeyPath, ProblemLog) -> Pin?
    ) -> [Pin]? {
        guard let entries = table.strings(key) else { return nil }
        if entries.isEmpty {
            table.log.error("`\(table.keyPath(key))` is empty: list at least one certificate, or remove the key", at: table.keyPath(key))
        }
        return entries.compactMap { parse($0.value, $0.path, table.log) }
    }

    /// 64 hex digits, colons allowed, as `openssl x509 -noout -fingerprint -sha256` prints them.
    private static func parseFingerprint(_ text: String, _ path: KeyPath, _ log: ProblemLog) -> [UInt8]? {
        guard let bytes = decodeHex(text.filter { $0 != ":" }), bytes.count == 32 else {
            log.error("`\(path)`: \"\(text)\" is not a SHA-256 fingerprint: write 64 hex digits, colons allowed", at: path)
            return nil
        }
        return bytes
    }

    private static func parseSubject(_ text: String, _ path: KeyPath, _ log: ProblemLog) -> DistinguishedName? {
        do {
            return try DistinguishedName(parsing: text)
        } catch {
            log.error("`\(path)`: \"\(text)\" is not a subject such as \"CN=coreapp-1,O=ACME\": \(error.message)", at: path)
            return nil
        }
    }

    private static func parseBasic(_ table: TableReader, secrets: SecretResolver) -> BasicCredentials? {
        let user = table.string("user", required: true)
        // Basic credentials are sent as `user:password`, split at the first colon.
        if let user, user.isEmpty || user.contains(":") {
            table.log.error("`\(table.keyPath("user"))` must be a non-empty name without \":\"", at: table.keyPath("user"))
        }
        let password = table.secret("password", required: true, using: secrets)
        table.reportUnknownKeys()
        guard let user, let password, !user.isEmpty, !user.contains(":") else { return nil }
        return BasicCredentials(user: user, password: password)
    }

    /// RFC 9110 token characters, the only ones a header name may have.
    private static func isHeaderName(_ text: String) -> Bool {
        !text.isEmpty && text.utf8.allSatisfy { ASCII.isLetterOrDigit($0, or: "!#$%&'*+-.^_`|~") }
    }
}

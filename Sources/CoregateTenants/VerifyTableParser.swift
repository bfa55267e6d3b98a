/// Reads a tenant's `[verify]` table (SPEC §4): which checks a request must pass.
enum VerifyTableParser {
    static func parse(_ table: TableReader, secrets: SecretResolver) -> VerifyConfig {
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
        table.reportUnknownKeys()
        return verify
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

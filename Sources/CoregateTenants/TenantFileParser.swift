/// A tenant as its file describes it, with the file's key lines, which the checks across tenants
/// (shared routes, phone numbers) need to point at.
struct ParsedTenant {
    var tenant: Tenant
    var locator: KeyLocator
}

/// Reads `tenants/<id>.toml` (SPEC §3, "A tenant file") into a Tenant with every secret resolved.
struct TenantFileParser {
    var secrets: SecretResolver
    /// Whether the global config sets `client_ca`, which a tenant's `client_cert` keys need.
    var mutualTLS: Bool
    /// Whether the global config sets `handler_uids`: handler programs must then serve other users.
    var handlersRunAsTenants: Bool

    /// A path token shorter than this can be guessed by trying; `openssl rand -hex 16` gives 32.
    static let shortestSafeToken = 16

    /// `tenant` is nil when the file has an error; the log has every problem found.
    func parse(file: String) -> (tenant: ParsedTenant?, log: ProblemLog) {
        let (root, log) = TOMLFile.open(file)
        let id = Self.tenantID(fromFile: file)
        if !Identifier.isValid(id) {
            log.error("the file name gives the tenant id \"\(id)\", which is not valid: use \(Identifier.rule) followed by .toml", at: .root)
        }
        guard let root else { return (nil, log) }

        let sender: Sender? = root.choice("sender", required: true)
        let description = root.string("description") ?? ""
        let path = parsePath(root, id: id)
        let pathToken = parsePathToken(root)
        let phoneNumberIDs = parsePhoneNumberIDs(root)
        let verify = root.table("verify").map { VerifyTableParser.parse($0, secrets: secrets, mutualTLS: mutualTLS) } ?? VerifyConfig()
        let delivery = root.table("delivery").map(parseDelivery) ?? DeliveryConfig()
        let handlers = parseHandlers(root)
        let reply = root.table("reply").flatMap { ReplyTableParser.parse($0, sender: sender, secrets: secrets) }
        root.reportUnknownKeys()
        root.freeDocument()

        guard !log.hasErrors, let sender, let path else { return (nil, log) }
        let tenant = Tenant(
            id: id, file: file, sender: sender, description: description, path: path, pathToken: pathToken,
            phoneNumberIDs: phoneNumberIDs, verify: verify, delivery: delivery, handlers: handlers, reply: reply)
        if tenant.pathToken == nil && !Self.hasAnyCheck(verify) {
            log.warning("no verification is configured: anyone who can reach \(path) can post events", at: .root)
        }
        return (ParsedTenant(tenant: tenant, locator: log.locator), log)
    }

    private static func hasAnyCheck(_ verify: VerifyConfig) -> Bool {
        !verify.hmacSHA256.isEmpty || verify.basic != nil || verify.bearer != nil || !verify.allowFrom.isEmpty
            || verify.clientCertificate != nil
    }

    static func tenantID(fromFile file: String) -> String {
        let name = file.split(separator: "/").last.map(String.init) ?? file
        return name.hasSuffix(".toml") ? String(name.dropLast(5)) : name
    }

    // MARK: Route

    private func parsePath(_ root: TableReader, id: String) -> String? {
        guard let path = root.string("path") else {
            return root.value("path") == nil ? "/webhooks/\(id)" : nil
        }
        if let problem = Self.problem(withPath: path) {
            root.log.error("`path`: \"\(path)\" \(problem)", at: root.keyPath("path"))
            return nil
        }
        return path
    }

    /// Why `path` cannot be a route, or nil. Routes are compared byte for byte with the request's
    /// path, so only one spelling of each may be allowed: no empty or dot segments, no trailing
    /// slash, no percent-encoding.
    static func problem(withPath path: String) -> String? {
        guard path.hasPrefix("/") else { return "must start with /" }
        let segments = path.dropFirst().split(separator: "/", omittingEmptySubsequences: false)
        if segments.contains(where: \.isEmpty) { return "must not end with / or contain //" }
        if segments.contains(where: { $0 == "." || $0 == ".." }) { return "must not contain . or .. segments" }
        let isAllowed = path.utf8.allSatisfy { ASCII.isLetterOrDigit($0, or: "-._~!$&'()*+,;=:@/") }
        return isAllowed ? nil : "may hold only letters, digits and -._~!$&'()*+,;=:@ between slashes"
    }

    private func parsePathToken(_ root: TableReader) -> Secret? {
        guard let token = root.secret("path_token", using: secrets) else { return nil }
        let path = root.keyPath("path_token")
        // The token is one path segment, compared byte for byte: only unreserved URL characters keep it one.
        guard token.value.allSatisfy({ ASCII.isLetterOrDigit($0, or: "-._~") }), token.value != Array(".".utf8), token.value != Array("..".utf8) else {
            root.log.error("`path_token`: the token from \(token.reference) may hold only letters, digits and -._~", at: path)
            return nil
        }
        if token.value.count < Self.shortestSafeToken {
            root.log.warning("`path_token` is shorter than \(Self.shortestSafeToken) characters, so it can be guessed", at: path)
        }
        return token
    }

    private func parsePhoneNumberIDs(_ root: TableReader) -> [String] {
        guard let ids = root.strings("phone_number_ids") else { return [] }
        var seen: Set<String> = []
        for (id, path) in ids {
            if id.isEmpty || !id.utf8.allSatisfy(ASCII.isDigit) {
                root.log.error("`\(path)`: \"\(id)\" is not a phone number id (digits only)", at: path)
            } else if !seen.insert(id).inserted {
                root.log.error("`\(path)`: \(id) is listed twice", at: path)
            }
        }
        return ids.map(\.value)
    }

    // MARK: Delivery and handlers

    private func parseDelivery(_ table: TableReader) -> DeliveryConfig {
        var delivery = DeliveryConfig()
        if let mode: DeliveryMode = table.choice("mode") { delivery.mode = mode }
        if let attempts = table.int("max_attempts", in: 1...100) { delivery.maxAttempts = attempts }
        if let concurrency = table.int("concurrency", in: 1...1000) { delivery.concurrency = concurrency }
        if let delay = table.duration("backoff_initial") { delivery.backoffInitial = delay }
        if let delay = table.duration("backoff_max") { delivery.backoffMax = delay }
        if let bound = table.int("max_backlog", in: 1...100_000_000) { delivery.maxBacklog = bound }
        if delivery.backoffMax < delivery.backoffInitial {
            table.log.error("`backoff_max` must not be shorter than `backoff_initial`", at: table.keyPath("backoff_max"))
        }
        table.reportUnknownKeys()
        return delivery
    }

    private func parseHandlers(_ root: TableReader) -> [HandlerConfig] {
        guard let tables = root.tables("handlers") else { return [] }
        let parser = HandlerTableParser(
            secrets: secrets, configRoot: secrets.configRoot, handlersRunAsTenants: handlersRunAsTenants)
        var handlers: [HandlerConfig] = []
        var firstUse: [String: KeyPath] = [:]
        for table in tables {
            guard let handler = parser.parse(table) else { continue }
            if let first = firstUse[handler.name] {
                let line = root.log.locator.line(of: first).map { "line \($0)" } ?? "\(first)"
                root.log.error("`\(table.keyPath("name"))`: a handler named \"\(handler.name)\" is already defined at \(line)", at: table.keyPath("name"))
            } else {
                firstUse[handler.name] = table.keyPath("name")
            }
            handlers.append(handler)
        }
        return handlers
    }
}

/// The `[reply]` table: where and how coregate sends the actions handlers ask for (SPEC §10).
public struct ReplyConfig: Sendable, Equatable {
    /// The sender's API token, sent as `Authorization: Bearer`.
    public var token: Secret
    /// The Graph API version in a Cloud tenant's URL (`/v26.0/<phone_number_id>/messages`).
    public var apiVersion: String
    /// The Graph API for a Cloud tenant, the Coreapp's own URL for an on-premises one; no trailing `/`.
    public var baseURL: String
    /// How long one request may take before it counts as a failed try.
    public var timeout: Duration
    /// Tries per action; after the last failed one the action is a dead letter.
    public var maxAttempts: Int
    /// Requests per second to one phone number's API, at most.
    public var messagesPerSecond: Int
    /// Retries wait `backoffInitial · 2^(try-1)`, capped at `backoffMax`, with equal jitter.
    public var backoffInitial: Duration = .seconds(1)
    public var backoffMax: Duration = .seconds(600)

    public static let graphAPI = "https://graph.facebook.com"
    public static let defaultAPIVersion = "v26.0"

    public init(
        token: Secret, apiVersion: String = Self.defaultAPIVersion, baseURL: String = Self.graphAPI,
        timeout: Duration = .seconds(10), maxAttempts: Int = 8, messagesPerSecond: Int = 20
    ) {
        self.token = token
        self.apiVersion = apiVersion
        self.baseURL = baseURL
        self.timeout = timeout
        self.maxAttempts = maxAttempts
        self.messagesPerSecond = messagesPerSecond
    }
}

enum ReplyTableParser {
    static func parse(_ table: TableReader, sender: Sender?, secrets: SecretResolver) -> ReplyConfig? {
        let token = table.secret("token", required: true, using: secrets)
        let apiVersion = table.string("api_version")
        if let apiVersion, !isAPIVersion(apiVersion) {
            table.log.error("`\(table.keyPath("api_version"))`: \"\(apiVersion)\" is not a Graph API version such as \"\(ReplyConfig.defaultAPIVersion)\"", at: table.keyPath("api_version"))
        }
        var baseURL = table.string("base_url")
        if let url = baseURL {
            if let problem = problem(withURL: url) {
                table.log.error("`\(table.keyPath("base_url"))`: \"\(url)\" \(problem)", at: table.keyPath("base_url"))
            }
            baseURL = String(url.reversed().drop(while: { $0 == "/" }).reversed())
        } else if sender == .onPremises {
            table.log.error("`\(table.keyPath("base_url"))` is missing: an on-premises tenant replies through its Coreapp, so give its URL", at: table.path)
        }
        let timeout = table.duration("timeout")
        let maxAttempts = table.int("max_attempts", in: 1...100)
        let rate = table.int("messages_per_second", in: 1...1000)
        let backoffInitial = table.duration("backoff_initial")
        let backoffMax = table.duration("backoff_max")
        if let backoffInitial, let backoffMax, backoffMax < backoffInitial {
            table.log.error("`backoff_max` must not be shorter than `backoff_initial`", at: table.keyPath("backoff_max"))
        }
        table.reportUnknownKeys()
        guard let token else { return nil }
        var config = ReplyConfig(token: token)
        if let apiVersion { config.apiVersion = apiVersion }
        if let baseURL { config.baseURL = baseURL }
        if let timeout { config.timeout = timeout }
        if let maxAttempts { config.maxAttempts = maxAttempts }
        if let rate { config.messagesPerSecond = rate }
        if let backoffInitial { config.backoffInitial = backoffInitial }
        if let backoffMax { config.backoffMax = backoffMax }
        return config
    }

    /// `v` then digits, a dot and digits: `v26.0`.
    static func isAPIVersion(_ text: String) -> Bool {
        let parts = text.dropFirst().split(separator: ".", omittingEmptySubsequences: false)
        return text.hasPrefix("v") && parts.count == 2 && parts.allSatisfy { !$0.isEmpty && $0.utf8.allSatisfy(ASCII.isDigit) }
    }

    /// Why `url` cannot be a base URL, or nil.
    static func problem(withURL url: String) -> String? {
        guard url.hasPrefix("https://") || url.hasPrefix("http://") else { return "must start with https:// or http://" }
        let rest = url.drop(while: { $0 != ":" }).dropFirst(3)
        if rest.isEmpty || rest.hasPrefix("/") { return "names no host" }
        if url.contains(where: { $0 == "?" || $0 == "#" || $0 == " " }) { return "must not hold a query, a fragment or spaces" }
        return nil
    }
}

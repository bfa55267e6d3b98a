import Foundation

/// Which kind of sender posts to a tenant: it decides the body format and which checks make sense.
public enum Sender: String, Sendable, Equatable, CaseIterable {
    case onPremises = "on-premises"
    case cloud
}

/// One WhatsApp number's configuration, from `tenants/<id>.toml`, with every secret resolved.
public struct Tenant: Sendable, Equatable {
    public var id: String
    /// The file it came from, so logs and `check` can point at it.
    public var file: String
    public var sender: Sender
    public var description: String
    /// The route without the token; `/webhooks/<id>` unless the file sets `path`.
    public var path: String
    /// When set, the route is `path + "/" + token`.
    public var pathToken: Secret?
    public var phoneNumberIDs: [String]
    public var verify: VerifyConfig
    public var delivery: DeliveryConfig
    public var handlers: [HandlerConfig]
    /// nil without a `[reply]` table: then actions that handlers ask for cannot be sent.
    public var reply: ReplyConfig?

    public init(
        id: String, file: String, sender: Sender, description: String = "", path: String,
        pathToken: Secret? = nil, phoneNumberIDs: [String] = [], verify: VerifyConfig = VerifyConfig(),
        delivery: DeliveryConfig = DeliveryConfig(), handlers: [HandlerConfig] = [], reply: ReplyConfig? = nil
    ) {
        self.id = id
        self.file = file
        self.sender = sender
        self.description = description
        self.path = path
        self.pathToken = pathToken
        self.phoneNumberIDs = phoneNumberIDs
        self.verify = verify
        self.delivery = delivery
        self.handlers = handlers
        self.reply = reply
    }
}

/// The `[verify]` table. Every check that is present must pass.
public struct VerifyConfig: Sendable, Equatable {
    /// More than one secret is accepted at once, so a secret can be rotated without downtime.
    public var hmacSHA256: [Secret] = []
    public var hmacHeader: String = "X-Hub-Signature-256"
    public var basic: BasicCredentials?
    public var bearer: Secret?
    public var allowFrom: [CIDR] = []
    public var verifyToken: Secret?
    /// nil when the tenant does not ask for a TLS client certificate.
    public var clientCertificate: ClientCertificateRule?

    public init(
        hmacSHA256: [Secret] = [], hmacHeader: String = "X-Hub-Signature-256", basic: BasicCredentials? = nil,
        bearer: Secret? = nil, allowFrom: [CIDR] = [], verifyToken: Secret? = nil,
        clientCertificate: ClientCertificateRule? = nil
    ) {
        self.hmacSHA256 = hmacSHA256
        self.hmacHeader = hmacHeader
        self.basic = basic
        self.bearer = bearer
        self.allowFrom = allowFrom
        self.verifyToken = verifyToken
        self.clientCertificate = clientCertificate
    }
}

public struct BasicCredentials: Sendable, Equatable {
    public var user: String
    public var password: Secret

    public init(user: String, password: Secret) {
        self.user = user
        self.password = password
    }
}

public enum DeliveryMode: String, Sendable, Equatable, CaseIterable {
    case queue
    case direct
}

/// The `[delivery]` table.
public struct DeliveryConfig: Sendable, Equatable {
    public var mode: DeliveryMode = .queue
    public var maxAttempts: Int = 8
    /// Handler processes at once for this tenant.
    public var concurrency: Int = 4
    /// Retries wait `backoffInitial · 2^(attempt-1)`, capped at `backoffMax`, with equal jitter (see `Backoff`).
    public var backoffInitial: Duration = .seconds(1)
    public var backoffMax: Duration = .seconds(600)
    /// Unfinished deliveries past which new requests get 503, so the sender keeps the data.
    public var maxBacklog: Int = 100_000

    public init(mode: DeliveryMode = .queue, maxAttempts: Int = 8, concurrency: Int = 4) {
        self.mode = mode
        self.maxAttempts = maxAttempts
        self.concurrency = concurrency
    }
}

/// One `[[handlers]]` entry.
public struct HandlerConfig: Sendable, Equatable {
    public var name: String
    /// Globs over event types, such as `message.*`.
    public var events: [String]
    /// The argument list, with a relative program path already resolved against the config root.
    public var command: [String]
    public var timeout: Duration
    /// Extra environment; a value written as a secret reference is resolved.
    public var env: [String: String]
    public var mode: HandlerMode
    /// Stream mode: long-lived processes of the command, each with its own stdin and stdout.
    public var workers: Int
    /// Stream mode: events sent to one worker and not yet answered, at most.
    public var maxInflight: Int

    public init(
        name: String, events: [String], command: [String], timeout: Duration = .seconds(30), env: [String: String] = [:],
        mode: HandlerMode = .exec, workers: Int = 1, maxInflight: Int = 64
    ) {
        self.name = name
        self.events = events
        self.command = command
        self.timeout = timeout
        self.env = env
        self.mode = mode
        self.workers = workers
        self.maxInflight = maxInflight
    }
}

/// How a handler gets its events (SPEC §7, §7b).
public enum HandlerMode: String, Sendable, CaseIterable {
    /// A process per event, the event on stdin, the exit status as the answer.
    case exec
    /// Long-lived workers reading one event a line and writing one answer line per event.
    case stream
}

/// A resolved secret. It keeps the reference it came from for messages and never prints its value.
public struct Secret: Sendable, Equatable, CustomStringConvertible, CustomDebugStringConvertible {
    /// What the config file says, such as `credential:acme-path`; for a literal, `<literal>`.
    public var reference: String
    public var value: [UInt8]

    public init(reference: String, value: [UInt8]) {
        self.reference = reference
        self.value = value
    }

    public var description: String { "Secret(\(reference))" }
    public var debugDescription: String { description }
}

/// An IPv4 or IPv6 network, as written in `allow_from` or `trusted_proxies`.
/// Addresses are kept as 16 bytes (IPv4 as IPv4-mapped IPv6), so one comparison serves both families.
public struct CIDR: Sendable, Equatable, Hashable, CustomStringConvertible {
    public var address: [UInt8]
    public var prefixLength: Int
    public var description: String

    public init(address: [UInt8], prefixLength: Int, description: String) {
        self.address = address
        self.prefixLength = prefixLength
        self.description = description
    }
}

import Foundation

/// The optional global file (`/etc/coregate/coregate.toml` or `--config`), after command-line overrides.
public struct GlobalConfig: Sendable, Equatable {
    public var tenantsDir: String = "/etc/coregate/tenants"
    public var stateDir: String = "/var/lib/coregate"
    /// `HOST:PORT`; used only when systemd passes no sockets.
    public var listen: [String] = []
    public var tlsCert: String?
    public var tlsKey: String?
    public var clientCA: String?
    public var maxBody: Int = 4 << 20
    /// Handler processes at once, all tenants together.
    public var concurrency: Int = 16
    public var metricsListen: String?
    public var logLevel: String = "info"
    /// Reverse proxies whose `X-Forwarded-For` is believed (only its right-most untrusted hop).
    public var trustedProxies: [CIDR] = []
    /// Limits that keep one slow or greedy client from holding the server.
    public var maxHeader: Int = 16 << 10
    public var maxConnections: Int = 1024
    public var idleTimeout: Duration = .seconds(60)
    public var readTimeout: Duration = .seconds(10)
    /// How long delivered events stay in the store before they are pruned.
    public var retention: Duration = .seconds(7 * 24 * 3600)
    /// A commit then survives power loss (`synchronous=FULL`), not only a crash of the process.
    /// On by default: SPEC §8 makes `200` mean the events are on disk; an operator may trade it for speed.
    public var powerLossSafe: Bool = true
    /// How long a direct-mode request waits for a free handler slot before it gets 503.
    public var directWait: Duration = .seconds(5)
    /// The uids tenants' handlers run as, one per tenant (`handler_uids`); nil: every handler runs
    /// as the service's own user.
    public var handlerUIDs: ClosedRange<UInt32>?
    /// How long requests in flight may take to finish after SIGTERM.
    public var shutdownGrace: Duration = .seconds(10)

    public init() {}
}

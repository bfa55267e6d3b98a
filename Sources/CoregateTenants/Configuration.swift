/// Everything `serve` runs on: the global settings and every tenant, validated together.
public struct Configuration: Sendable {
    public var global: GlobalConfig
    /// Sorted by id.
    public var tenants: [Tenant]
    public var routes: RouteTable

    public init(global: GlobalConfig, tenants: [Tenant]) {
        self.global = global
        self.tenants = tenants
        self.routes = RouteTable(tenants: tenants)
    }

    /// The tenants by id; ids are file names, so unique.
    public var tenantsByID: [String: Tenant] {
        Dictionary(tenants.map { ($0.id, $0) }, uniquingKeysWith: { first, _ in first })
    }
}

/// Command-line flags; each one set replaces the global file's value.
///
/// Relative paths here are relative to the working directory, as on any command line.
public struct ConfigOverrides: Sendable {
    public var tenantsDir: String?
    public var stateDir: String?
    public var listen: [String]?
    public var tlsCert: String?
    public var tlsKey: String?
    public var clientCA: String?
    public var logLevel: String?

    public init(
        tenantsDir: String? = nil, stateDir: String? = nil, listen: [String]? = nil,
        tlsCert: String? = nil, tlsKey: String? = nil, clientCA: String? = nil, logLevel: String? = nil
    ) {
        self.tenantsDir = tenantsDir
        self.stateDir = stateDir
        self.listen = listen
        self.tlsCert = tlsCert
        self.tlsKey = tlsKey
        self.clientCA = clientCA
        self.logLevel = logLevel
    }
}

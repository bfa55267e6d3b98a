/// Finds the tenants a request path belongs to (SPEC §3, "Tenants and routing").
///
/// A tenant with a path token is never looked up by its full route in a hash table: hashing the
/// token from the request, then comparing, would let timing reveal how much of it was right.
/// Instead the last path segment is compared with each token under that path in constant time.
public struct RouteTable: Sendable {
    /// Routes without a token, by exact path.
    private var plain: [String: [Tenant]] = [:]
    /// Tenants with a token, by the path before the token.
    private var tokened: [String: [Tenant]] = [:]

    /// Builds the table from tenants already checked to have unique routes (see `TenantSetChecks`).
    public init(tenants: [Tenant]) {
        for tenant in tenants.sorted(by: { $0.id < $1.id }) {
            if tenant.pathToken == nil {
                plain[tenant.path, default: []].append(tenant)
            } else {
                tokened[tenant.path, default: []].append(tenant)
            }
        }
    }

    /// The tenants for a request path (without its query string): exact match; for tenants with a
    /// path token, the last path segment is compared to the token in constant time.
    /// A wrong token behaves exactly like an unknown path (returns []). Returns several tenants only for a shared Cloud path.
    public func tenants(forPath path: String) -> [Tenant] {
        if let tenants = plain[path] { return tenants }
        guard let slash = path.utf8.lastIndex(of: UInt8(ascii: "/")) else { return [] }
        let base = String(path[..<slash])
        let segment = path.utf8[path.utf8.index(after: slash)...]
        return tokened[base, default: []].filter { tenant in
            tenant.pathToken.map { constantTimeEquals(segment, $0.value) } ?? false
        }
    }
}

extension Tenant {
    /// The full route, token included; for the uniqueness check only, never for logs.
    var route: String {
        guard let token = pathToken else { return path }
        return path + "/" + String(decoding: token.value, as: UTF8.self)
    }

    /// The route as it may be shown: the token stays hidden.
    var displayRoute: String {
        pathToken == nil ? path : path + "/<path_token>"
    }
}

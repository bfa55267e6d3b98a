import CoregateTenants

/// `allow_from`: the request must come from one of the tenant's networks.
/// A source that cannot be known (no IP peer, a forwarded hop that is not an address) is refused,
/// since it cannot be shown to be allowed.
struct SourceCheck: Sendable {
    let allowed: [CIDR]

    func passes(clientAddress: [UInt8]?) -> Bool {
        guard let clientAddress else { return false }
        return allowed.anyContains(clientAddress)
    }
}

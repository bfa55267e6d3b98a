#if canImport(Glibc)
import Glibc
#endif

/// The user and group a tenant's handlers run as, when they do not run as the service's own user
/// (`handler_uids`): one uid per tenant, with a group of the same number and no other groups.
public struct HandlerIdentity: Sendable, Hashable, CustomStringConvertible {
    public let uid: uid_t
    public let gid: gid_t

    public init(uid: uid_t, gid: gid_t) {
        self.uid = uid
        self.gid = gid
    }

    /// A tenant's identity: its group has the uid's number.
    public init(tenantUID uid: uid_t) {
        self.init(uid: uid, gid: gid_t(uid))
    }

    public var description: String { "uid \(uid) gid \(gid)" }
}

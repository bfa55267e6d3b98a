import CoregateStore
import Foundation
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// Gives each tenant's handlers a uid and gid of their own, from the operator's `handler_uids`,
/// and keeps the tenant's state folder owned by them with mode 0700: a handler then cannot read
/// another tenant's folder, the store, the service's credentials or its `/proc` entry.
///
/// The folder's owner is the record of which uid a tenant has; nothing else is stored. The same
/// tenant therefore keeps its uid across restarts, and `coregate run-handler` finds the one the
/// service uses. A new tenant gets the lowest uid of the range that no other tenant's folder
/// holds and that no user or group of the system has, so a uid is never shared while its folder
/// exists and a new tenant never inherits files an old one left. A folder owned by anyone else
/// (the service itself, from before `handler_uids` was set) is handed over: it and everything in
/// it is chowned, never following a link.
public final class TenantIdentities: Sendable {
    public let uids: ClosedRange<uid_t>
    /// One allocation at a time in this process; an flock on the tenants' folder keeps other
    /// processes (`run-handler`, a second service on the same state) out at the same time.
    private let allocation = Mutex(())

    public init(uids: ClosedRange<uid_t>) {
        self.uids = uids
    }

    /// Why a tenant's folder could not be made ready, and whose fault that is.
    public struct FolderProblem: Error, Sendable {
        public let reason: String
        /// The gateway ran out of descriptors, memory or disk space: not the handler's fault.
        public let isResourceShortage: Bool

        /// A shortage of descriptors or memory is the gateway's problem, not the handler's.
        var outcome: HandlerOutcome {
            isResourceShortage ? .gatewayShortOf(reason: reason) : .couldNotStart(reason: reason)
        }
    }

    /// The identity a tenant's handlers run as, once its state folder exists and belongs to it.
    /// A folder already set up costs one `stat`.
    public func prepare(stateDirectory folder: String) -> Result<HandlerIdentity, FolderProblem> {
        var status = stat()
        if stat(folder, &status) == 0, let identity = identity(owning: status) {
            return .success(identity)
        }
        return allocation.withLock { _ in allocate(folder) }
    }

    /// The tenant's identity when `status` is a folder owned by a uid of the range. Its mode is
    /// the tenant's business once it is made (0700).
    private func identity(owning status: stat) -> HandlerIdentity? {
        guard status.st_mode & S_IFMT == S_IFDIR, uids.contains(status.st_uid) else { return nil }
        return HandlerIdentity(tenantUID: status.st_uid)
    }

    private func allocate(_ folder: String) -> Result<HandlerIdentity, FolderProblem> {
        let parent = (folder as NSString).deletingLastPathComponent
        let name = (folder as NSString).lastPathComponent
        // Handlers must pass through the tenants' folder to reach their own, and see nothing in it.
        if mkdir(parent, 0o711) != 0 && errno != EEXIST {
            do {
                try FileManager.default.createDirectory(atPath: parent, withIntermediateDirectories: true)
            } catch {
                return .failure(problem("cannot create \(parent)"))
            }
        }
        chmod(parent, 0o711)
        let parentFD = open(parent, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard parentFD >= 0 else { return .failure(problem("cannot open \(parent)")) }
        defer { close(parentFD) }
        while flock(parentFD, LOCK_EX) != 0 && errno == EINTR {}

        // Another thread or process may have set it up while this one waited.
        var status = stat()
        let exists = fstatat(parentFD, name, &status, AT_SYMLINK_NOFOLLOW) == 0
        if exists, let identity = identity(owning: status) { return .success(identity) }
        if exists && status.st_mode & S_IFMT != S_IFDIR {
            return .failure(FolderProblem(reason: "\(folder) is not a folder", isResourceShortage: false))
        }
        guard let identity = freeIdentity(in: parentFD, besides: name) else {
            return .failure(
                FolderProblem(
                    reason: "no free uid left in handler_uids \(uids.lowerBound)-\(uids.upperBound) for \(folder)",
                    isResourceShortage: false))
        }
        if !exists {
            guard mkdirat(parentFD, name, 0o700) == 0 else { return .failure(problem("cannot create \(folder)")) }
        } else {
            let folderFD = openat(parentFD, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
            if folderFD >= 0 {
                Self.handOver(directory: folderFD, to: identity)
                close(folderFD)
            }
        }
        // The folder itself last: until it is the tenant's, a later run hands it over again. Its
        // mode first, while the service still owns it.
        guard fchmodat(parentFD, name, 0o700, 0) == 0,
            fchownat(parentFD, name, identity.uid, identity.gid, AT_SYMLINK_NOFOLLOW) == 0
        else { return .failure(problem("cannot give \(folder) to \(identity)")) }
        return .success(identity)
    }

    /// The lowest uid of the range that no other folder in the tenants' folder is owned by and
    /// that the system does not know as a user or a group.
    private func freeIdentity(in parentFD: Int32, besides name: String) -> HandlerIdentity? {
        var taken = Set<uid_t>()
        let listingFD = dup(parentFD)
        guard listingFD >= 0, let listing = fdopendir(listingFD) else {
            if listingFD >= 0 { close(listingFD) }
            return nil
        }
        defer { closedir(listing) }
        while let entry = readdir(listing) {
            let entryName = withUnsafeBytes(of: entry.pointee.d_name) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
            var status = stat()
            if entryName != name, fstatat(parentFD, entryName, &status, AT_SYMLINK_NOFOLLOW) == 0 {
                taken.insert(status.st_uid)
            }
        }
        var uid = uids.lowerBound
        while true {
            if !taken.contains(uid) && getpwuid(uid) == nil && getgrgid(gid_t(uid)) == nil {
                return HandlerIdentity(tenantUID: uid)
            }
            if uid == uids.upperBound { return nil }
            uid += 1
        }
    }

    /// Chowns everything in the folder open at `directory`, each subfolder's content before the
    /// subfolder, without following links. A subfolder it cannot open was handed over by an
    /// earlier run that stopped half-way (its mode is the tenant's 0700 by then).
    private static func handOver(directory: Int32, to identity: HandlerIdentity) {
        let listingFD = dup(directory)
        guard listingFD >= 0, let listing = fdopendir(listingFD) else {
            if listingFD >= 0 { close(listingFD) }
            return
        }
        defer { closedir(listing) }
        while let entry = readdir(listing) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
            if name == "." || name == ".." { continue }
            let child = openat(directory, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
            if child >= 0 {
                handOver(directory: child, to: identity)
                close(child)
            }
            fchownat(directory, name, identity.uid, identity.gid, AT_SYMLINK_NOFOLLOW)
        }
    }

    private func problem(_ what: String) -> FolderProblem {
        let error = errno
        return FolderProblem(
            reason: "\(what): \(String(cString: strerror(error)))",
            isResourceShortage: [EMFILE, ENFILE, ENOMEM, ENOSPC].contains(error))
    }
}

import CoregateDelivery
import CoregateTenants
import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// Whether tenants' handlers run as uids of their own (`handler_uids`), for `serve` and
/// `run-handler` alike, and whether this process is able to do that.
///
/// Asked for and impossible is an error, never a quiet fallback: an operator who set
/// `handler_uids` relies on tenants not seeing each other.
public enum HandlerIsolation {
    /// What the process needs: CAP_SETUID and CAP_SETGID to become a tenant, CAP_CHOWN to give the
    /// tenant its folder, CAP_KILL to stop a handler that runs past its timeout (it no longer
    /// shares a uid with the service). Root has them all; the shipped unit grants them.
    static let capabilities: [(bit: Int, name: String)] = [
        (0, "CAP_CHOWN"), (5, "CAP_KILL"), (6, "CAP_SETGID"), (7, "CAP_SETUID"),
    ]

    /// The tenants' identities, or nil when `handler_uids` is not set; a description of what stands
    /// in the way when it is set but cannot be honoured.
    public static func identities(for global: GlobalConfig) -> Result<TenantIdentities?, Refusal> {
        guard let uids = global.handlerUIDs else { return .success(nil) }
        let missing = missingCapabilities()
        if !missing.isEmpty {
            return .failure(
                Refusal(
                    description: "handler_uids is set, but this process (uid \(geteuid())) lacks \(missing.joined(separator: ", ")): "
                        + "run it as root, or with the capabilities the shipped coregate.service grants"))
        }
        if let blocked = folderBlockingOthers(on: global.stateDir) {
            return .failure(
                Refusal(
                    description: "handler_uids is set, but \(blocked.path) (mode \(String(blocked.mode, radix: 8))) does not let other "
                        + "users pass: tenants' handlers could not reach their folders under state_dir \(global.stateDir); "
                        + "give it o+x (0711)"))
        }
        return .success(TenantIdentities(uids: uids))
    }

    public struct Refusal: Error, CustomStringConvertible {
        public let description: String
    }

    /// The capabilities above that the calling thread does not have in effect.
    static func missingCapabilities() -> [String] {
        let status = (try? String(contentsOfFile: "/proc/self/status", encoding: .utf8)) ?? ""
        let effective = status.split(separator: "\n").first { $0.hasPrefix("CapEff:") }
            .flatMap { UInt64($0.dropFirst("CapEff:".count).trimmingCharacters(in: .whitespaces), radix: 16) } ?? 0
        return capabilities.filter { effective & (1 << UInt64($0.bit)) == 0 }.map(\.name)
    }

    /// The first folder on the way to `path` (itself included) that other users cannot pass
    /// through; nil when they all can, or when `path` does not exist yet (the store makes it).
    static func folderBlockingOthers(on path: String) -> (path: String, mode: mode_t)? {
        var folder = URL(fileURLWithPath: path).standardizedFileURL.path
        while true {
            var status = stat()
            if stat(folder, &status) == 0, status.st_mode & S_IXOTH == 0 {
                return (folder, status.st_mode & 0o7777)
            }
            if folder == "/" || folder.isEmpty { return nil }
            folder = (folder as NSString).deletingLastPathComponent
        }
    }
}

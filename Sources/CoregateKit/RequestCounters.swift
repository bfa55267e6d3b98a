import NIOHTTP1
import Synchronization

/// Answers given since start, by status, and failed checks by tenant and reason.
public final class RequestCounters: Sendable {
    private let byStatus = Mutex<[UInt: Int]>([:])
    private let rejections = Mutex<[RejectionKey: Int]>([:])

    public struct RejectionKey: Hashable, Sendable {
        public var tenant: String
        public var reason: String
    }

    func recordRejection(tenant: String, reason: String) {
        rejections.withLock { $0[RejectionKey(tenant: tenant, reason: reason), default: 0] += 1 }
    }

    public var rejectionCounts: [RejectionKey: Int] { rejections.withLock { $0 } }

    func record(_ status: HTTPResponseStatus) {
        byStatus.withLock { $0[status.code, default: 0] += 1 }
    }

    public var snapshot: [UInt: Int] { byStatus.withLock { $0 } }

    public var summary: String {
        let counts = snapshot
        let total = counts.values.reduce(0, +)
        guard total > 0 else { return "0 requests" }
        let parts = counts.keys.sorted().map { "\($0): \(counts[$0]!)" }
        return "\(total) requests (\(parts.joined(separator: ", ")))"
    }
}

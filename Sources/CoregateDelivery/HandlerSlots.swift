import Synchronization

/// How many handler processes run at once, per tenant and overall. The queue's dispatcher and
/// direct-mode requests draw from the same slots, so together they never pass either bound.
public final class HandlerSlots: Sendable {
    private struct Waiter {
        var tenant: String
        var limit: Int
        var continuation: CheckedContinuation<Bool, Never>
    }

    private struct State {
        var total: Int
        var running: [String: Int] = [:]
        var runningTotal = 0
        var waiters: [UInt64: Waiter] = [:]
        /// Waiters whose time ran out before they were registered (a race of microseconds).
        var abandoned: Set<UInt64> = []
        var nextWaiter: UInt64 = 0

        func fits(_ tenant: String, limit: Int) -> Bool {
            runningTotal < total && running[tenant, default: 0] < limit
        }

        mutating func take(_ tenant: String, count: Int = 1) {
            running[tenant, default: 0] += count
            runningTotal += count
        }
    }

    private let state: Mutex<State>

    public init(total: Int) {
        state = Mutex(State(total: total))
    }

    /// A reload may change the overall bound; running handlers finish, new ones obey the new bound.
    public func setTotal(_ total: Int) {
        state.withLock { $0.total = total }
        wakeWaiters()
    }

    public var running: Int { state.withLock { $0.runningTotal } }

    public func running(tenant: String) -> Int { state.withLock { $0.running[tenant, default: 0] } }

    /// Takes every slot that is free now, per tenant; the caller gives back what it does not use.
    public func reserveFree(limits: [String: Int]) -> [String: Int] {
        state.withLock { state in
            var reserved: [String: Int] = [:]
            for (tenant, limit) in limits.sorted(by: { $0.key < $1.key }) {
                let free = min(limit - state.running[tenant, default: 0], state.total - state.runningTotal)
                guard free > 0 else { continue }
                state.take(tenant, count: free)
                reserved[tenant] = free
            }
            return reserved
        }
    }

    /// Waits up to `timeout` for a slot; false when none came free in time.
    public func acquire(tenant: String, limit: Int, timeout: Duration) async -> Bool {
        let id: UInt64? = state.withLock { state in
            if state.fits(tenant, limit: limit) {
                state.take(tenant)
                return nil
            }
            state.nextWaiter += 1
            return state.nextWaiter
        }
        guard let id else { return true }
        return await withTaskGroup(of: Bool?.self) { group in
            group.addTask {
                await withCheckedContinuation { continuation in
                    let abandoned = self.state.withLock { state in
                        if state.abandoned.remove(id) != nil { return true }
                        state.waiters[id] = Waiter(tenant: tenant, limit: limit, continuation: continuation)
                        return false
                    }
                    if abandoned { continuation.resume(returning: false) }
                    self.wakeWaiters()
                }
            }
            group.addTask {
                guard (try? await Task.sleep(for: timeout)) != nil else { return nil }
                self.giveUp(waiter: id)
                return nil
            }
            // Only the waiting child's answer counts: it is true exactly when a slot was taken for us.
            for await answer in group {
                if let answer {
                    group.cancelAll()
                    return answer
                }
            }
            return false
        }
    }

    public func release(tenant: String, count: Int = 1) {
        guard count > 0 else { return }
        state.withLock { state in
            state.running[tenant, default: 0] -= count
            state.runningTotal -= count
            if state.running[tenant] == 0 { state.running[tenant] = nil }
        }
        wakeWaiters()
    }

    private func giveUp(waiter id: UInt64) {
        let waiter = state.withLock { state in
            let waiter = state.waiters.removeValue(forKey: id)
            if waiter == nil { state.abandoned.insert(id) }
            return waiter
        }
        waiter?.continuation.resume(returning: false)
    }

    /// Hands free slots to waiters in the order they came.
    private func wakeWaiters() {
        let granted = state.withLock { state -> [Waiter] in
            var granted: [Waiter] = []
            for id in state.waiters.keys.sorted() {
                guard let waiter = state.waiters[id], state.fits(waiter.tenant, limit: waiter.limit) else { continue }
                state.take(waiter.tenant)
                state.waiters[id] = nil
                granted.append(waiter)
            }
            return granted
        }
        granted.forEach { $0.continuation.resume(returning: true) }
    }
}

import Foundation

/// Who gets the next free handler slot: a pure state machine (events in, decisions out) with no
/// I/O, no clock and no locks, so every state can be unit-tested. ``Dispatcher`` is its I/O shell.
///
/// Slots are bounded overall (`concurrency` of the global file) and per tenant (its own
/// `concurrency`). Only tenants with work *contend* for them: a queue tenant that has a due
/// delivery, or a direct tenant with a request waiting. An idle tenant holds nothing, however many
/// tenants are configured, so no tenant can be starved by others that merely exist.
///
/// Among contenders, slots go by weighted fair share (stride scheduling): each grant advances a
/// tenant's *pass* by `1 / concurrency`, and the contender with the lowest pass gets the next
/// slot, ties to the one that waited longest. A tenant that starts contending joins at the pass of
/// the latest grant, so it cannot bank credit while idle, and it is ahead of a busy tenant whose
/// pass has moved on: a tenant with a 100,000-event backlog delays a newcomer by about one
/// handler run at most.
///
/// A queue tenant's slots are first *reserved*; the shell claims deliveries for them and reports
/// how many came (``claimed(tenant:reserved:got:nextDue:)``). Fewer than reserved means nothing
/// more is due now: the spare slots go back and the tenant stops contending until `nextDue`, new
/// events, or a finished delivery that may free its next contact event.
///
/// A "tenant" here is whatever the shell schedules as one: the dispatcher gives a tenant's exec
/// handlers one key (their slots are processes, under `total`) and each stream handler a key of
/// its own whose slots are events in flight to its workers. Those are *outside* `total`: they
/// hold no process, and are bounded by their own capacity alone.
public struct SlotScheduler: Sendable {
    public typealias WaiterID = UInt64

    /// What the shell must do after an event: resume these direct requests with their slot, and
    /// claim deliveries when ``hasClaims`` says so.
    public struct Decisions: Sendable, Equatable {
        public var directGranted: [WaiterID] = []
    }

    private var total: Int
    private var limits: [String: Int]
    private var outsideTotal: Set<String>
    private var running: [String: Int] = [:]
    private var runningTotal = 0
    /// Queue tenants believed to have a delivery due now.
    private var due: Set<String> = []
    /// Queue tenants with nothing due now, and when their next delivery is.
    private var dueAt: [String: Date] = [:]
    private var waiters: [String: [WaiterID]] = [:]
    private var waiterTenants: [WaiterID: String] = [:]
    /// Slots reserved for queue tenants, waiting for the shell to claim deliveries for them.
    private var reserved: [String: Int] = [:]
    private var pass: [String: Double] = [:]
    private var lastGrantPass = 0.0
    /// When each contender last joined or was granted: the tie-breaker, oldest first.
    private var turn: [String: UInt64] = [:]
    private var clock: UInt64 = 0

    /// - Parameters:
    ///   - total: handler processes at once, all tenants.
    ///   - concurrency: each tenant's own bound; a tenant not named gets no slot.
    ///   - outsideTotal: tenants bounded by their own limit only, whose slots `total` does not count.
    public init(total: Int, concurrency: [String: Int], outsideTotal: Set<String> = []) {
        self.total = total
        self.limits = concurrency
        self.outsideTotal = outsideTotal
    }

    public var runningCount: Int { runningTotal }

    public func running(tenant: String) -> Int { running[tenant, default: 0] }

    /// Whether slots are reserved for queue tenants that the shell has yet to claim for.
    public var hasClaims: Bool { !reserved.isEmpty }

    /// The earliest time a waiting queue tenant becomes due.
    public var nextDue: Date? { dueAt.values.min() }

    // MARK: Events

    /// A reload: new bounds apply to new grants; running handlers finish under the old ones.
    /// Tenants no longer configured stop contending.
    public mutating func configure(total: Int, concurrency: [String: Int], outsideTotal: Set<String> = []) -> Decisions {
        self.total = total
        limits = concurrency
        // A tenant that left keeps its kind until its running slots come back.
        self.outsideTotal = outsideTotal.union(self.outsideTotal.filter { running[$0] != nil })
        due = due.filter { limits[$0] != nil }
        dueAt = dueAt.filter { limits[$0.key] != nil }
        return allocate()
    }

    /// These queue tenants may have deliveries due now: events were stored for them, or a
    /// finished delivery freed a lane.
    public mutating func workArrived(for tenants: some Sequence<String>) -> Decisions {
        for tenant in tenants where limits[tenant] != nil {
            dueAt[tenant] = nil
            if due.insert(tenant).inserted { join(tenant) }
        }
        return allocate()
    }

    /// The store's view of every queue tenant that has deliveries waiting (at start, and now and
    /// then to see what another process queued): due now, or when.
    public mutating func resynchronize(dueDates: [String: Date], now: Date) -> Decisions {
        for (tenant, date) in dueDates where limits[tenant] != nil && !due.contains(tenant) {
            if date <= now {
                dueAt[tenant] = nil
                due.insert(tenant)
                join(tenant)
            } else {
                dueAt[tenant] = min(date, dueAt[tenant] ?? date)
            }
        }
        return allocate()
    }

    /// Makes tenants whose next delivery time has come contend again.
    public mutating func timePassed(now: Date) -> Decisions {
        let ready = dueAt.filter { $0.value <= now }.map(\.key)
        return workArrived(for: ready)
    }

    /// The shell takes the reserved slots to claim deliveries for; it must answer each with
    /// ``claimed(tenant:reserved:got:nextDue:)``.
    public mutating func takeClaims() -> [String: Int] {
        defer { reserved = [:] }
        return reserved
    }

    /// `got` of the `reserved` slots found a delivery. When fewer came, nothing more is due for
    /// the tenant until `nextDue` (nil: nothing waits).
    public mutating func claimed(tenant: String, reserved count: Int, got: Int, nextDue: Date?) -> Decisions {
        if got < count {
            release(tenant: tenant, count: count - got)
            due.remove(tenant)
            if let nextDue { dueAt[tenant] = min(nextDue, dueAt[tenant] ?? nextDue) }
        }
        return allocate()
    }

    /// How a finished run leaves its tenant's queue.
    public enum FollowUp: Sendable, Equatable {
        /// Direct mode, or nothing changes for the queue.
        case none
        /// The delivery is finished (done or dead); its contact's next event may now be due.
        case laneMoved
        /// The delivery waits for a retry at this time.
        case retry(at: Date)
    }

    /// A handler run ended; its slot is free.
    public mutating func finished(tenant: String, followUp: FollowUp) -> Decisions {
        release(tenant: tenant, count: 1)
        switch followUp {
        case .none:
            break
        case .laneMoved:
            return workArrived(for: [tenant])
        case .retry(let at) where !due.contains(tenant) && limits[tenant] != nil:
            dueAt[tenant] = min(at, dueAt[tenant] ?? at)
        case .retry:
            break
        }
        return allocate()
    }

    /// A direct-mode request wants a slot. True when it got one at once; otherwise it waits, and
    /// a later decision grants it, unless it gives up first (``directAbandoned(_:)``).
    public mutating func directRequested(tenant: String, waiter: WaiterID) -> Bool {
        guard limits[tenant] != nil else { return false }
        if waiters[tenant, default: []].isEmpty && !due.contains(tenant) { join(tenant) }
        waiters[tenant, default: []].append(waiter)
        waiterTenants[waiter] = tenant
        return allocate().directGranted.contains(waiter)
    }

    /// The request stopped waiting (its time ran out, or it was cancelled). False when it had
    /// been granted a slot meanwhile: it then holds that slot and must finish as usual.
    public mutating func directAbandoned(_ waiter: WaiterID) -> Bool {
        guard let tenant = waiterTenants.removeValue(forKey: waiter) else { return false }
        waiters[tenant]?.removeAll { $0 == waiter }
        if waiters[tenant]?.isEmpty == true { waiters[tenant] = nil }
        return true
    }

    // MARK: Policy

    private var contenders: [String] {
        Array(due) + waiters.keys.filter { !due.contains($0) }
    }

    private mutating func join(_ tenant: String) {
        pass[tenant] = max(pass[tenant] ?? 0, lastGrantPass)
        clock += 1
        turn[tenant] = clock
    }

    private mutating func allocate() -> Decisions {
        var decisions = Decisions()
        while true {
            var best: (tenant: String, pass: Double, turn: UInt64)?
            for tenant in contenders where running[tenant, default: 0] < limits[tenant, default: 0]
                && (runningTotal < total || outsideTotal.contains(tenant)) {
                let candidate = (tenant: tenant, pass: pass[tenant] ?? 0, turn: turn[tenant] ?? 0)
                if let current = best, (current.pass, current.turn) <= (candidate.pass, candidate.turn) { continue }
                best = candidate
            }
            guard let winner = best?.tenant else { break }
            grant(winner, into: &decisions)
        }
        forgetIdle()
        return decisions
    }

    private mutating func grant(_ tenant: String, into decisions: inout Decisions) {
        running[tenant, default: 0] += 1
        if !outsideTotal.contains(tenant) { runningTotal += 1 }
        lastGrantPass = pass[tenant] ?? 0
        pass[tenant] = lastGrantPass + 1 / Double(max(1, limits[tenant, default: 1]))
        clock += 1
        turn[tenant] = clock
        if var queue = waiters[tenant], !queue.isEmpty {
            let waiter = queue.removeFirst()
            waiters[tenant] = queue.isEmpty ? nil : queue
            waiterTenants[waiter] = nil
            decisions.directGranted.append(waiter)
        } else {
            reserved[tenant, default: 0] += 1
        }
    }

    private mutating func release(tenant: String, count: Int) {
        running[tenant, default: 0] -= count
        if !outsideTotal.contains(tenant) { runningTotal -= count }
        if running[tenant] == 0 { running[tenant] = nil }
    }

    /// Bookkeeping of tenants that neither contend nor run is dropped, so memory follows the
    /// busy tenants, not the configured ones.
    private mutating func forgetIdle() {
        guard pass.count > 2 * (due.count + waiters.count + running.count) + 16 else { return }
        pass = pass.filter { due.contains($0.key) || waiters[$0.key] != nil || running[$0.key] != nil }
        turn = turn.filter { pass[$0.key] != nil }
    }
}

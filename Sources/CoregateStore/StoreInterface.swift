import Foundation

/// The durable queue, as the gateway, the dispatcher and the operator's verbs use it. Two
/// implementations keep the same contract: ``SQLiteStore``, one file for one box (the default),
/// and ``PostgresStore``, one database shared by several nodes (SPEC §11).
///
/// The contract, whichever the store:
/// - ``enqueue(_:)`` returns only after the commit holding the events (then the request may be
///   answered `200`); an event is stored once per (tenant, id);
/// - only a lane's head is claimed (per-contact order), each delivery by one claimer at a time;
/// - ``settle(_:claims:now:)`` records finished runs and claims due deliveries in one transaction;
/// - a delivery whose runner died is due again, its cut-short attempt recorded as `interrupted`
///   and counted.
///
/// The `…Blocking` variants block the calling thread for the transaction: for a thread of the
/// caller's own (the dispatcher's), never the cooperative pool or an event loop.
public protocol Store: AnyObject, Sendable {
    // MARK: Ingest

    /// Stores each event once and queues one delivery per handler it names, in one group commit
    /// shared with concurrent callers; returns only after that commit. An event whose
    /// (tenant, id) is already stored counts as a duplicate and queues nothing.
    func enqueue(_ events: [NewEvent]) async throws -> EnqueueResult

    /// ``enqueue(_:)`` for a caller that is not a task, such as an event loop: it returns at once
    /// and calls `completion` once, after the commit or its failure, from a thread of the store's
    /// own, so `completion` must not block. The gateway's ingest path uses this: a task and its
    /// continuation would add two thread hand-offs to every request.
    func enqueue(_ events: [NewEvent], completion: @escaping @Sendable (Result<EnqueueResult, any Error>) -> Void)

    /// The tenant's pending, running and retrying deliveries, from counts kept in memory: the
    /// HTTP path checks its backlog bound with this on every request.
    func backlog(tenant: String) -> Int

    /// How many transactions group commit has run; tests and metrics compare it with callers.
    var groupCommits: Int { get async }

    /// Reads the backlog counts afresh, to see what another process (the CLI's `replay`, another
    /// node) changed.
    func refreshBacklogCounts() async throws
    func refreshBacklogCountsBlocking() throws

    // MARK: The dispatcher

    /// The dispatcher's one write per round: records how finished deliveries ended, then claims
    /// due ones, up to `claims[pool]` per pool (a tenant's deliveries, or some of its handlers'),
    /// in one transaction. A finished delivery releases its lane first, so the same transaction
    /// can already claim the contact's next event. Nothing is written when both are empty.
    func settle(_ settlements: [Settlement], claims: [DeliveryPool: Int], now: Date) async throws -> SettleResult
    func settleBlocking(_ settlements: [Settlement], claims: [DeliveryPool: Int], now: Date) throws -> SettleResult

    /// When each of these tenants' (or pools') earliest waiting head becomes due (in the past when
    /// one is due already); those with nothing waiting are left out.
    func dueDates(tenants: [String]) async throws -> [String: Date]
    func dueDatesBlocking(pools: [DeliveryPool]) throws -> [DeliveryPool: Date]

    /// Makes deliveries whose runner is gone due again, recording their cut-short attempts as
    /// `interrupted`, and returns how many. The service calls it once at startup, before its
    /// dispatcher claims anything; the CLI never does.
    func recoverInterruptedDeliveries(now: Date) async throws -> Int

    /// Calls `wake` with the tenants whose work another process committed, as soon as the store
    /// learns of it (`nil`: any tenant may have work). Only a store that several nodes share
    /// learns of it at all; the others leave it to the dispatcher's periodic look at the queue.
    func wakeOnWorkFromElsewhere(_ wake: @escaping @Sendable (_ tenants: [String]?) -> Void)

    // MARK: Direct mode

    /// For each of these events of the tenant, the handlers that already succeeded on it.
    func directSucceeded(tenant: String, eventIDs: [String]) async throws -> [String: Set<String>]
    /// Records a request's direct-mode successes, in one transaction.
    func recordDirectSuccesses(_ successes: [DirectSuccess], now: Date) async throws

    // MARK: The operator

    /// Events, newest first. `state` keeps events with at least one delivery in that state;
    /// `typeGlob` is a handler-style glob (`EventTypePattern`).
    func events(tenant: String?, state: DeliveryState?, typeGlob: String?, limit: Int) async throws -> [EventSummary]
    /// The event with this id in each tenant that has one (usually one), with its deliveries and
    /// their attempts.
    func event(id: String) async throws -> [EventDetail]
    /// Deliveries by state over all tenants; cheap enough for `STATUS=` every few seconds.
    func deliveryCounts() async throws -> [DeliveryState: Int]
    /// Per tenant: delivery counts by state, the oldest waiting delivery's age, and the outcomes
    /// of the attempts started in the hour before `now`.
    func stats(now: Date) async throws -> [TenantStats]

    /// Queues the finished deliveries of these events again in a new round, and returns how many.
    func replay(ids: [String], now: Date) async throws -> Int
    /// Queues a tenant's dead deliveries again (`deadOnly`), or every finished one.
    func replay(tenant: String, deadOnly: Bool, now: Date) async throws -> Int
    /// Deletes dead deliveries that died before `before`, with their attempts, and the events
    /// left without any delivery. Returns how many deliveries were deleted.
    func purgeDead(before: Date) async throws -> Int
    /// Retention: deletes events whose deliveries all finished done before `cutoff`, with their
    /// deliveries and attempts, unless one of their reply actions is unsent or dead. Returns how
    /// many events were deleted.
    func prune(doneOlderThan cutoff: Date) async throws -> Int

    // MARK: Reply actions (SPEC §10)
    //
    // A successful attempt's `report.replies` are stored by ``settle(_:claims:now:)`` (and
    // ``recordDirectSuccesses(_:now:)``) in the transaction that records the attempt; no other
    // attempt stores any. ``purgeDead(before:)`` deletes dead actions too.

    /// Up to `limit` actions due at `now`: the first unsent action of each customer (tenant and
    /// recipient), oldest due first, so one customer's actions go out in order.
    func dueReplies(limit: Int, now: Date) async throws -> [DueReply]
    /// When the next unsent action falls due (in the past when one is due now); nil when none waits.
    func nextReplyDue() async throws -> Date?
    /// Records how tries ended, in one transaction; an outcome for an action no longer pending
    /// changes nothing. Returns how many were recorded.
    func recordReplyOutcomes(_ outcomes: [ReplyOutcome], now: Date) async throws -> Int
    /// `coregate replay --action ID…`: dead actions are due again, with their tries from 0.
    func replayReplies(ids: [Int64], now: Date) async throws -> Int
    /// `coregate replay --tenant T --dead-actions`.
    func replayDeadReplies(tenant: String, now: Date) async throws -> Int
}

/// One handler's success on one event in direct mode.
public struct DirectSuccess: Sendable {
    /// Its `handlers` are ignored.
    public var event: NewEvent
    public var handler: String
    public var report: HandlerResult

    public init(event: NewEvent, handler: String, report: HandlerResult) {
        self.event = event
        self.handler = handler
        self.report = report
    }
}

// The requirements' usual arguments, and what is built on them.
extension Store {
    public func settle(_ settlements: [Settlement], claims: [DeliveryPool: Int]) async throws -> SettleResult {
        try await settle(settlements, claims: claims, now: Date())
    }

    public func settleBlocking(_ settlements: [Settlement], claims: [DeliveryPool: Int]) throws -> SettleResult {
        try settleBlocking(settlements, claims: claims, now: Date())
    }

    @discardableResult
    public func recoverInterruptedDeliveries() async throws -> Int {
        try await recoverInterruptedDeliveries(now: Date())
    }

    public func recordDirectSuccesses(_ successes: [DirectSuccess]) async throws {
        try await recordDirectSuccesses(successes, now: Date())
    }

    public func stats() async throws -> [TenantStats] {
        try await stats(now: Date())
    }

    public func dueReplies(limit: Int) async throws -> [DueReply] {
        try await dueReplies(limit: limit, now: Date())
    }

    @discardableResult
    public func recordReplyOutcomes(_ outcomes: [ReplyOutcome]) async throws -> Int {
        try await recordReplyOutcomes(outcomes, now: Date())
    }

    public func replayReplies(ids: [Int64]) async throws -> Int {
        try await replayReplies(ids: ids, now: Date())
    }

    public func replayDeadReplies(tenant: String) async throws -> Int {
        try await replayDeadReplies(tenant: tenant, now: Date())
    }

    @discardableResult
    public func replay(ids: [String]) async throws -> Int {
        try await replay(ids: ids, now: Date())
    }

    @discardableResult
    public func replay(tenant: String, deadOnly: Bool) async throws -> Int {
        try await replay(tenant: tenant, deadOnly: deadOnly, now: Date())
    }

    /// Claims due deliveries for each tenant, up to its free slots, in one transaction; each
    /// tenant's oldest due first, tenants in id order.
    public func claimReady(limitPerTenant: [String: Int], now: Date = Date()) async throws -> [Claim] {
        let pools = Dictionary(uniqueKeysWithValues: limitPerTenant.map { (DeliveryPool(tenant: $0.key), $0.value) })
        let claimed = try await settle([], claims: pools, now: now).claims
        return claimed.sorted { $0.key.tenant < $1.key.tenant }.flatMap(\.value.claims)
    }

    /// Records one attempt; see ``settle(_:claims:now:)``.
    ///
    /// Throws ``StoreError/claimNotRunning(deliveryID:)`` when the delivery is no longer running
    /// in this attempt.
    @discardableResult
    public func complete(
        _ claim: Claim, report: HandlerResult, policy: RetryPolicy, now: Date = Date()
    ) async throws -> Completion {
        let completion = policy.completion(after: report.outcome, attempt: claim.attempt, now: now)
        let result = try await settle([.attempted(claim, report, completion)], claims: [:], now: now)
        guard result.notRunning.isEmpty else { throw StoreError.claimNotRunning(deliveryID: claim.deliveryID) }
        return completion
    }
}

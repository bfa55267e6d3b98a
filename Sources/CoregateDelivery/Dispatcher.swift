import CoregateStore
import CoregateTenants
import Foundation
import Logging
import Synchronization

/// The delivery engine's I/O shell around ``SlotScheduler``: it feeds the scheduler what happened
/// (events stored, runs finished, claims made, time passed) and carries out what it decides
/// (claim deliveries, start handlers, wake direct requests).
///
/// A slot the scheduler grants to a queue tenant's pool is served at once from deliveries claimed
/// ahead (``ClaimAhead``), so the handler that ends starts the next one itself, and a stream
/// handler's thread sends the next event for each answer, with no store write between them. Every queue write after ingest is a *round*, one store transaction,
/// ``Store/settle(_:claims:now:)``, which records every run that finished since the last round
/// and claims deliveries for the slots that found none in hand and for the pools whose hand runs
/// low. Rounds run one at a time (``pump(onHandlerThread:keepOne:)``), on a handler thread that has no
/// next run to start, otherwise on the dispatcher's own thread, which sleeps until it is rung, a
/// retry falls due, or finished runs have waited ``settleDelay`` to be recorded. Nothing to claim
/// and nothing finished means no transaction at all.
///
/// Direct-mode requests take their slots from the same scheduler (``acquireDirect(tenant:handler:timeout:)``).
///
/// The scheduler's keys are *pools*: a tenant's exec handlers share one, whose slots are processes
/// (the tenant's `concurrency`, under the global one); each stream handler has its own, whose
/// slots are events in flight to its workers (workers × `max_inflight`). A pool's runs are
/// claimed, recorded and started in the same rounds as every other's.
public final class Dispatcher: Sendable {
    let store: any Store
    let runner: HandlerRunner
    /// The transport of stream handlers' runs.
    public let streams: StreamHandlers
    private let logger: Logger
    let attemptObserver: @Sendable (_ tenant: String, _ handler: String, _ report: HandlerResult) -> Void
    /// A run put off because the gateway was short of resources (not an attempt).
    let deferralObserver: @Sendable (_ tenant: String, _ handler: String) -> Void
    /// A round committed reply actions for the sender loop to send.
    let repliesStored: @Sendable () -> Void
    private let doorbell = Doorbell()
    /// Whether a thread is running rounds (``pump(onHandlerThread:keepOne:)``).
    private let pumping = Atomic<Bool>(false)
    private let state: Mutex<State>
    /// Another process (the CLI's `replay`) may queue work; the store is asked this often.
    static let resynchronizeEvery = Duration.seconds(5)
    /// A handler the gateway could not start for lack of resources is tried again after this.
    static let shortagePause: TimeInterval = 1
    /// How long a finished run waits to be recorded with others, when no claim calls for a round
    /// sooner: the store says `running` that much longer, and a crash in that time runs it again.
    static let settleDelay = Duration.milliseconds(10)
    /// Finished runs that call for a round by their number alone.
    static let settleBatch = 128
    /// Deliveries claimed ahead per exec pool, per stream pool (at most what it may have in
    /// flight), and in all (they hold their events' JSON).
    static let claimAheadDepth = 16
    static let streamClaimAheadDepth = 64
    static let claimAheadLimit = 256

    private struct State {
        var scheduler: SlotScheduler
        var tenants: [String: Tenant]
        /// What each scheduler key claims, and each tenant's keys.
        var pools: [String: DeliveryPool] = [:]
        var poolKeys: [String: [String]] = [:]
        var stateDir: String
        var claimAhead = ClaimAhead<Claim>(limit: Dispatcher.claimAheadLimit)
        /// Finished runs not yet recorded, and since when the oldest waits.
        var unsettled: [Settlement] = []
        var unsettledSince: ContinuousClock.Instant?
        var inFlight = 0
        /// The running handlers, to stop them when the loop is cancelled.
        var cancellations: [Int64: HandlerCancellation] = [:]
        /// The runs in flight to stream handlers, by delivery id, and the one sink all their
        /// answers come back to.
        var streamed: [Int64: StreamedRun] = [:]
        var streamSink: HandlerRunSink?
        var stopping = false
        var cancelled = false
        /// After a failed transaction, no round writes before this.
        var storeRetryAt = ContinuousClock.now
        /// When the dispatcher's thread wakes by itself; a round on another thread that brings a
        /// retry due earlier rings it.
        var dispatcherWakesAt = Date.distantFuture
        var directWaiters: [SlotScheduler.WaiterID: CheckedContinuation<Bool, Never>] = [:]
        var nextWaiter: SlotScheduler.WaiterID = 0
        /// Direct requests granted, or given up, before their continuation was registered.
        var grantedEarly: Set<SlotScheduler.WaiterID> = []
        var gaveUpEarly: Set<SlotScheduler.WaiterID> = []

        init(_ configuration: Configuration) {
            scheduler = SlotScheduler(total: 0, concurrency: [:])
            tenants = [:]
            stateDir = ""
            _ = configure(configuration)
        }

        mutating func configure(_ configuration: Configuration) -> SlotScheduler.Decisions {
            tenants = Dictionary(configuration.tenants.map { ($0.id, $0) }, uniquingKeysWith: { first, _ in first })
            stateDir = configuration.global.stateDir
            var limits: [String: Int] = [:]
            var streamKeys: Set<String> = []
            var depths: [String: Int] = [:]
            pools = [:]
            poolKeys = [:]
            // Claims in hand were made for the old handlers and modes.
            for claim in claimAhead.drain().items { record(.deferred(claim, until: Date())) }
            for tenant in tenants.values {
                let streamHandlers = tenant.handlers.filter { $0.mode == .stream }
                // The exec pool also takes deliveries of handlers no longer configured, to record that.
                limits[tenant.id] = tenant.delivery.concurrency
                if tenant.delivery.mode == .queue { depths[tenant.id] = Dispatcher.claimAheadDepth }
                pools[tenant.id] = DeliveryPool(tenant: tenant.id, handlers: .allBut(streamHandlers.map(\.name)))
                poolKeys[tenant.id] = [tenant.id]
                for handler in streamHandlers {
                    let key = Self.poolKey(tenant: tenant.id, streamHandler: handler.name)
                    limits[key] = handler.workers * handler.maxInflight
                    // As many ahead as it has in flight: its workers get the next events from the
                    // hand while a round waits for the store.
                    if tenant.delivery.mode == .queue { depths[key] = min(limits[key]!, Dispatcher.streamClaimAheadDepth) }
                    streamKeys.insert(key)
                    pools[key] = DeliveryPool(tenant: tenant.id, handlers: .only(handler.name))
                    poolKeys[tenant.id, default: []].append(key)
                }
            }
            claimAhead.configure(depths: depths)
            return scheduler.configure(total: configuration.global.concurrency, concurrency: limits, outsideTotal: streamKeys)
        }

        mutating func record(_ settlement: Settlement) {
            if unsettled.isEmpty { unsettledSince = .now }
            unsettled.append(settlement)
        }

        /// Serves the slots the scheduler granted from claims in hand. Stopping, it starts
        /// nothing: granted slots go back, and claims in hand go back to the store, as do those
        /// held too long.
        mutating func serveGranted() -> (starts: [(key: String, claim: Claim)], granted: [CheckedContinuation<Bool, Never>]) {
            for claim in claimAhead.expired(now: .now) { record(.deferred(claim, until: Date())) }
            let slots = scheduler.takeClaims()
            guard stopping else { return (claimAhead.serve(slots).map { ($0.pool, $0.item) }, []) }
            let (inHand, waiting) = claimAhead.drain()
            for claim in inHand { record(.deferred(claim, until: Date())) }
            return ([], giveBack(slots.merging(waiting, uniquingKeysWith: +), until: nil))
        }

        /// Whether a round should write now: claims to make, or finished runs that have waited.
        func needsRound(now: ContinuousClock.Instant) -> Bool {
            if claimAhead.needsClaims { return true }
            guard let since = unsettledSince, !unsettled.isEmpty else { return false }
            return stopping || unsettled.count >= Dispatcher.settleBatch || now - since >= Dispatcher.settleDelay
        }

        /// When the next round is due (nil: none is): at once for claims to make or a full batch,
        /// when the oldest finished run has waited ``Dispatcher/settleDelay``, and never before a
        /// failed transaction's pause is over.
        var nextRound: ContinuousClock.Instant? {
            let now = ContinuousClock.now
            let due: ContinuousClock.Instant
            if needsRound(now: now) {
                due = now
            } else if let since = unsettledSince, !unsettled.isEmpty {
                due = since + Dispatcher.settleDelay
            } else {
                return nil
            }
            return max(due, storeRetryAt)
        }

        /// A stream handler's key; a tenant id has no `/`, so it never names an exec pool.
        static func poolKey(tenant: String, streamHandler: String) -> String {
            tenant + "/" + streamHandler
        }

        /// Whether the key is a stream handler's (``poolKey(tenant:streamHandler:)``), not a tenant's exec pool.
        static func isStreamPool(_ key: String) -> Bool {
            key.contains("/")
        }

        /// The key whose slot a run of this handler takes.
        func poolKey(tenant: String, handler: String) -> String {
            let key = Self.poolKey(tenant: tenant, streamHandler: handler)
            return pools[key] != nil ? key : tenant
        }

        /// Returns reserved slots unclaimed; their tenants wait until `until` (nil: new work).
        mutating func giveBack(_ claims: [String: Int], until: Date?) -> [CheckedContinuation<Bool, Never>] {
            claims.flatMap { tenant, count in
                granted(scheduler.claimed(tenant: tenant, reserved: count, got: 0, nextDue: until))
            }
        }

        /// Hands each granted direct request its continuation, to resume outside the lock.
        mutating func granted(_ decisions: SlotScheduler.Decisions) -> [CheckedContinuation<Bool, Never>] {
            decisions.directGranted.compactMap { waiter in
                guard let continuation = directWaiters.removeValue(forKey: waiter) else {
                    grantedEarly.insert(waiter)
                    return nil
                }
                return continuation
            }
        }
    }

    private struct FinishedRun {
        var settlement: Settlement
        var followUp: SlotScheduler.FollowUp
        /// The pool whose slot it held.
        var poolKey: String
        /// It went to a stream handler.
        var streamed = false
    }

    public init(
        store: any Store, runner: HandlerRunner, streams: StreamHandlers? = nil, configuration: Configuration, logger: Logger,
        attemptObserver: @escaping @Sendable (_ tenant: String, _ handler: String, _ report: HandlerResult) -> Void = { _, _, _ in },
        deferralObserver: @escaping @Sendable (_ tenant: String, _ handler: String) -> Void = { _, _ in },
        repliesStored: @escaping @Sendable () -> Void = {}
    ) {
        self.deferralObserver = deferralObserver
        self.repliesStored = repliesStored
        self.store = store
        self.runner = runner
        self.streams = streams ?? StreamHandlers(logger: logger)
        self.logger = logger
        self.attemptObserver = attemptObserver
        self.state = Mutex(State(configuration))
        self.streams.configure(configuration)
    }

    /// Handler processes running now, queue and direct together.
    public var running: Int { state.withLock { $0.scheduler.runningCount } }

    /// Direct-mode requests waiting for a slot now.
    public var directRequestsWaiting: Int { state.withLock { $0.directWaiters.count } }

    /// A reload: new limits and handlers apply to the next runs.
    public func configure(_ configuration: Configuration) {
        resume(state.withLock { state in state.granted(state.configure(configuration)) })
        streams.configure(configuration)
        doorbell.ring()
    }

    /// Deliveries were stored for these tenants.
    public func wake(tenants: some Sequence<String>) {
        let (granted, claims) = state.withLock { state in
            let keys = tenants.flatMap { state.poolKeys[$0] ?? [$0] }
            let granted = state.granted(state.scheduler.workArrived(for: keys))
            return (granted, state.scheduler.hasClaims)
        }
        resume(granted)
        if claims { doorbell.ring() }
    }

    /// Stops claiming; deliveries already running finish (each bounded by its handler's timeout)
    /// and are recorded before `run()` returns. Everything not yet claimed stays queued.
    public func stop() {
        state.withLock { $0.stopping = true }
        doorbell.ring()
    }

    // MARK: Direct mode

    /// Waits up to `timeout` for a slot for one direct-mode run of the handler; false when none
    /// came. Ends at once, without a slot, when the calling task is cancelled.
    public func acquireDirect(tenant: String, handler: String, timeout: Duration) async -> Bool {
        let waiter: SlotScheduler.WaiterID? = state.withLock { state in
            state.nextWaiter += 1
            let key = state.poolKey(tenant: tenant, handler: handler)
            return state.scheduler.directRequested(tenant: key, waiter: state.nextWaiter) ? nil : state.nextWaiter
        }
        guard let waiter else { return true }
        let deadline = Task {
            try? await Task.sleep(for: timeout)
            self.abandon(waiter)
        }
        defer { deadline.cancel() }
        return await withTaskCancellationHandler {
            await withCheckedContinuation { continuation in
                // A grant or a give-up may have come before the continuation existed.
                let answer: Bool? = state.withLock { state in
                    if state.grantedEarly.remove(waiter) != nil { return true }
                    if state.gaveUpEarly.remove(waiter) != nil { return false }
                    state.directWaiters[waiter] = continuation
                    return nil
                }
                if let answer { continuation.resume(returning: answer) }
            }
        } onCancel: {
            self.abandon(waiter)
        }
    }

    /// A direct-mode run ended; its slot goes to the next in line.
    public func releaseDirect(tenant: String, handler: String) {
        let (granted, claims) = state.withLock { state in
            let key = state.poolKey(tenant: tenant, handler: handler)
            return (state.granted(state.scheduler.finished(tenant: key, followUp: .none)), state.scheduler.hasClaims)
        }
        resume(granted)
        if claims { doorbell.ring() }
    }

    /// The request's time ran out or it was cancelled: it stops waiting, unless granted already.
    private func abandon(_ waiter: SlotScheduler.WaiterID) {
        let continuation = state.withLock { state -> CheckedContinuation<Bool, Never>? in
            guard state.scheduler.directAbandoned(waiter) else { return nil }
            guard let continuation = state.directWaiters.removeValue(forKey: waiter) else {
                state.gaveUpEarly.insert(waiter)
                return nil
            }
            return continuation
        }
        continuation?.resume(returning: false)
    }

    private func resume(_ continuations: [CheckedContinuation<Bool, Never>]) {
        for continuation in continuations { continuation.resume(returning: true) }
    }
}

// MARK: The queue

extension Dispatcher {
    /// Runs the queue until ``stop()``, then returns once every running delivery is recorded.
    /// Cancelled (a stop that cannot wait), it stops the running handlers and leaves them for
    /// crash recovery to run again at the next start.
    ///
    /// The loop has a thread of its own, so its store transaction is a plain blocking call on
    /// that thread: no hop to a database queue and back, and nothing of the cooperative pool or
    /// an event loop is ever blocked.
    public func run() async {
        await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                let thread = Thread {
                    // Named from within: a name given before start() does not reach the kernel.
                    Thread.current.name = "coregate-queue"
                    self.loop()
                    continuation.resume()
                }
                thread.start()
            }
        } onCancel: {
            let running = state.withLock { state in
                state.stopping = true
                state.cancelled = true
                return Array(state.cancellations.values)
            }
            running.forEach { $0.cancel() }
            streams.cancel()
            doorbell.ring()
        }
        // Nothing is in flight to them any more: they get end of input and exit.
        await streams.stop()
    }

    /// The dispatcher's own thread: sleeps until there may be work (new events, a retry falling
    /// due, time to resynchronize), pumps, and returns once stopped with nothing in flight.
    private func loop() {
        var lastSync = ContinuousClock.now
        resynchronize()
        while true {
            pump(onHandlerThread: false, keepOne: false)
            if state.withLock({ $0.stopping && $0.unsettled.isEmpty && $0.inFlight == 0 }) { return }
            sleepUntilWork(lastSync: lastSync)
            if ContinuousClock.now - lastSync >= Self.resynchronizeEvery {
                resynchronize()
                lastSync = .now
            }
        }
    }

    /// Serves granted slots from claims in hand and runs rounds until nothing calls for one. Any
    /// thread may pump, one at a time. False when another thread was pumping already.
    ///
    /// `onHandlerThread`: the caller is a handler thread about to be free, or a stream pool's
    /// thread (``FinishingThread``); `keepOne`: it has no next run yet, and runs the first handler
    /// started here itself. Such a thread that has work of its own leaves rounds to the
    /// dispatcher's thread, so that its next handler, or its workers, do not wait for the store.
    @discardableResult
    private func pump(onHandlerThread: Bool, keepOne: Bool) -> Bool {
        guard pumping.compareExchange(expected: false, desired: true, ordering: .acquiring).exchanged else { return false }
        defer { pumping.store(false, ordering: .releasing) }
        var keepOne = keepOne
        while true {
            let (starts, round) = state.withLock { state -> ([(key: String, claim: Claim)], Round?) in
                let (starts, granted) = state.serveGranted()
                resume(granted)
                let now = ContinuousClock.now
                guard now >= state.storeRetryAt, state.needsRound(now: now) else { return (starts, nil) }
                let runsOneNext = !keepOne || starts.contains { !State.isStreamPool($0.key) }
                if onHandlerThread && runsOneNext { return (starts, nil) }
                let round = Round(settlements: state.unsettled, requests: state.claimAhead.takeRequests())
                state.unsettled = []
                state.unsettledSince = nil
                return (starts, round)
            }
            launch(starts, keepOne: &keepOne)
            guard let round else {
                // The dispatcher's thread must wake for a retry due, or a round this thread left
                // to it, before it planned to. (Its own pump plans its sleep after this: a ring
                // from it for a round held back by a failed transaction's pause would spin it.)
                let wakeEarlier = state.withLock { state in
                    let round = state.nextRound.map { Date() + ($0 - .now).timeInterval }
                    let due = [state.scheduler.nextDue, round].compactMap { $0 }.min()
                    return due.map { $0 < state.dispatcherWakesAt } ?? false
                }
                if wakeEarlier { doorbell.ring() }
                return true
            }
            launch(settle(round), keepOne: &keepOne)
        }
    }

    /// What one round writes: the runs to record, and per pool what to claim.
    private struct Round {
        var settlements: [Settlement]
        var requests: [String: ClaimAhead<Claim>.Request]
    }

    /// Starts claimed deliveries: a stream pool's in one go, an exec pool's each on a handler
    /// thread, the first on this one when `keepOne`.
    private func launch(_ starts: [(key: String, claim: Claim)], keepOne: inout Bool) {
        var streamed: [(key: String, claim: Claim)] = []
        for (key, claim) in starts {
            if State.isStreamPool(key) {
                streamed.append((key, claim))
            } else {
                start(claim, poolKey: key, onThisThread: keepOne)
                keepOne = false
            }
        }
        if !streamed.isEmpty { startStreamed(streamed) }
    }

    /// One round's transaction. On failure the runs stay to be recorded later, the slots that
    /// waited for claims go back, and no round writes again for a moment.
    private func settle(_ round: Round) -> [(key: String, claim: Claim)] {
        let pools = state.withLock { state in round.requests.keys.compactMap { key in state.pools[key].map { (key, $0) } } }
        let poolOf = Dictionary(pools, uniquingKeysWith: { first, _ in first })
        let result: SettleResult
        do {
            var pooledClaims: [DeliveryPool: Int] = [:]
            for (key, request) in round.requests { if let pool = poolOf[key] { pooledClaims[pool] = request.total } }
            result = try store.settleBlocking(round.settlements, claims: pooledClaims)
        } catch {
            logger.error("cannot record attempts or claim deliveries; trying again shortly", metadata: ["error": "\(error)"])
            let retryAt = Date() + Self.shortagePause
            state.withLock { state in
                if !round.settlements.isEmpty {
                    state.unsettled = round.settlements + state.unsettled
                    state.unsettledSince = .now
                }
                state.storeRetryAt = .now + .seconds(Self.shortagePause)
                state.claimAhead.failed(round.requests)
                resume(state.giveBack(round.requests.mapValues(\.slots).filter { $0.value > 0 }, until: retryAt))
            }
            return []
        }
        let storedReplies = round.settlements.contains { settlement in
            if case .attempted(let claim, let report, .done) = settlement {
                return !report.replies.isEmpty && !result.notRunning.contains(claim)
            }
            return false
        }
        if storedReplies { repliesStored() }
        for claim in result.notRunning {
            logger.warning(
                "the delivery changed while its handler ran (replayed or purged); its attempt is not recorded",
                metadata: ["tenant": "\(claim.tenant)", "handler": "\(claim.handler)", "event_id": "\(claim.eventID)"])
        }
        return state.withLock { state in
            var granted: [CheckedContinuation<Bool, Never>] = []
            var starts: [(key: String, claim: Claim)] = []
            for (key, request) in round.requests {
                let claimed = poolOf[key].flatMap { result.claims[$0] }
                let served = state.claimAhead.claimed(pool: key, request: request, items: claimed?.claims ?? [], now: .now)
                starts += served.map { (key, $0) }
                if request.slots > 0 {
                    granted += state.granted(state.scheduler.claimed(
                        tenant: key, reserved: request.slots, got: served.count, nextDue: claimed?.nextDue))
                }
            }
            resume(granted)
            return starts
        }
    }

    /// Sleeps until rung, until the next retry is due, or until it is time to resynchronize.
    private func sleepUntilWork(lastSync: ContinuousClock.Instant) {
        let untilSync = Self.resynchronizeEvery - (ContinuousClock.now - lastSync)
        let (nextDue, nextRound, expiry) = state.withLock { ($0.scheduler.nextDue, $0.nextRound, $0.claimAhead.nextExpiry) }
        var timeout = untilSync
        if let expiry { timeout = min(timeout, expiry - .now) }
        if let nextDue { timeout = min(timeout, .milliseconds(max(0, Int64(nextDue.timeIntervalSinceNow * 1000) + 1))) }
        if let nextRound { timeout = min(timeout, nextRound - .now) }
        timeout = max(.zero, timeout)
        state.withLock { $0.dispatcherWakesAt = Date() + timeout.timeInterval }
        doorbell.wait(timeout: timeout)
        let now = Date()
        state.withLock { state in resume(state.granted(state.scheduler.timePassed(now: now))) }
    }

    /// Asks the store which tenants have deliveries waiting; picks up what another process queued.
    private func resynchronize() {
        let pools = state.withLock { state in
            state.tenants.values.filter { $0.delivery.mode == .queue }.flatMap { tenant in
                (state.poolKeys[tenant.id] ?? []).compactMap { key in state.pools[key].map { (key, $0) } }
            }
        }
        do {
            let byPool = try store.dueDatesBlocking(pools: pools.map(\.1))
            var dates: [String: Date] = [:]
            for (key, pool) in pools { dates[key] = byPool[pool] }
            try store.refreshBacklogCountsBlocking()
            let now = Date()
            state.withLock { state in resume(state.granted(state.scheduler.resynchronize(dueDates: dates, now: now))) }
        } catch {
            logger.error("cannot read the queue", metadata: ["error": "\(error)"])
        }
    }

    /// Starts the claimed delivery's handler; its end comes back through ``ended(_:_:policy:poolKey:streamed:)``.
    private func start(_ claim: Claim, poolKey: String, onThisThread: Bool) {
        let cancellation = HandlerCancellation()
        let (tenant, stateDir, cancelled) = state.withLock { state in
            state.inFlight += 1
            state.cancellations[claim.deliveryID] = cancellation
            return (state.tenants[claim.tenant], state.stateDir, state.cancelled)
        }
        if cancelled { cancellation.cancel() }
        let policy = RetryPolicy(delivery: tenant?.delivery ?? DeliveryConfig())
        guard let tenant, let handler = tenant.handlers.first(where: { $0.name == claim.handler }) else {
            cancellation.close()
            let report = HandlerResult(
                outcome: .couldNotStart(reason: "handler \(claim.handler) is no longer configured for tenant \(claim.tenant)"),
                startedAt: Date(), duration: .zero)
            finish([judge(claim, report, policy: policy, poolKey: poolKey, streamed: false)], on: .any)
            return
        }
        runner.start(
            HandlerInvocation(claim, sender: tenant.sender, handler: handler, stateDir: stateDir), cancellation: cancellation,
            niceness: HandlerRunner.queueNiceness, wakingAnotherThread: !onThisThread
        ) { result in
            self.finish(
                [self.ended(claim, result, policy: policy, poolKey: poolKey, streamed: false)],
                on: .handler)
        }
    }

    private struct StreamedRun {
        var claim: Claim
        var key: String
        var policy: RetryPolicy
    }

    /// Sends claimed deliveries to their stream handlers' workers, in one go: their answers come
    /// back in batches on the workers' thread, each batch recorded in one round.
    private func startStreamed(_ claims: [(key: String, claim: Claim)]) {
        let (tenants, stateDir, sink) = state.withLock { state in
            state.inFlight += claims.count
            if state.streamSink == nil {
                state.streamSink = HandlerRunSink { [weak self] ended in self?.streamedEnded(ended) }
            }
            return (state.tenants, state.stateDir, state.streamSink!)
        }
        var runs: [HandlerRun] = []
        var started: [(Int64, StreamedRun)] = []
        var unconfigured: [FinishedRun] = []
        for (key, claim) in claims {
            let tenant = tenants[claim.tenant]
            let policy = RetryPolicy(delivery: tenant?.delivery ?? DeliveryConfig())
            guard let tenant, let handler = tenant.handlers.first(where: { $0.name == claim.handler && $0.mode == .stream }) else {
                let report = HandlerResult(
                    outcome: .couldNotStart(reason: "handler \(claim.handler) is no longer a stream handler of tenant \(claim.tenant)"),
                    startedAt: Date(), duration: .zero)
                unconfigured.append(judge(claim, report, policy: policy, poolKey: key, streamed: true))
                continue
            }
            started.append((claim.deliveryID, StreamedRun(claim: claim, key: key, policy: policy)))
            runs.append(HandlerRun(HandlerInvocation(claim, sender: tenant.sender, handler: handler, stateDir: stateDir), tag: claim.deliveryID))
        }
        if !unconfigured.isEmpty { finish(unconfigured, on: .any) }
        guard !runs.isEmpty else { return }
        state.withLock { state in state.streamed.merge(started, uniquingKeysWith: { _, new in new }) }
        streams.start(runs, sink: sink)
    }

    private func streamedEnded(_ ended: [HandlerRun.Ended]) {
        let runs = state.withLock { state in ended.map { (state.streamed.removeValue(forKey: $0.tag), $0.result) } }
        finish(runs.compactMap { run, result in
            run.map { self.ended($0.claim, result, policy: $0.policy, poolKey: $0.key, streamed: true) }
        }, on: .stream)
    }

    private func logger(for claim: Claim) -> Logger {
        var logger = self.logger
        logger[metadataKey: "tenant"] = "\(claim.tenant)"
        logger[metadataKey: "handler"] = "\(claim.handler)"
        logger[metadataKey: "event_id"] = "\(claim.eventID)"
        logger[metadataKey: "attempt"] = "\(claim.attempt)"
        return logger
    }

    /// How a run that ended is recorded; on the thread it ended on.
    private func ended(
        _ claim: Claim, _ result: HandlerResult, policy: RetryPolicy, poolKey: String, streamed: Bool
    ) -> FinishedRun {
        if case .gatewayShortOf(let reason) = result.outcome {
            let until = Date() + Self.shortagePause
            logger(for: claim).warning(
                "handler not started, the gateway is short of resources; not an attempt, tried again shortly",
                metadata: ["reason": "\(reason)"])
            deferralObserver(claim.tenant, claim.handler)
            return FinishedRun(settlement: .deferred(claim, until: until), followUp: .retry(at: until), poolKey: poolKey)
        }
        return judge(claim, result, policy: policy, poolKey: poolKey, streamed: streamed)
    }

    /// `streamed`: the run went to a stream handler, whose answers `done` are logged at debug only.
    private func judge(_ claim: Claim, _ report: HandlerResult, policy: RetryPolicy, poolKey: String, streamed: Bool) -> FinishedRun {
        let completion = policy.completion(after: report.outcome, attempt: claim.attempt)
        let followUp: SlotScheduler.FollowUp =
            switch completion {
            case .done, .dead: .laneMoved
            case .retrying(let at): .retry(at: at)
            }
        return FinishedRun(
            settlement: .attempted(claim, report, completion), followUp: followUp, poolKey: poolKey, streamed: streamed)
    }

    /// The attempt's metric and log line; after the next run has started, which need not wait for them.
    private func observe(_ run: FinishedRun) {
        guard case .attempted(let claim, let report, let completion) = run.settlement else { return }
        attemptObserver(claim.tenant, claim.handler, report)
        log(report, completion, claim: claim, quietSuccess: run.streamed)
    }

    /// Where ``finish(_:on:)`` is called.
    private enum FinishingThread {
        /// The dispatcher's own, or one with nothing else to do: it may run rounds.
        case any
        /// A handler thread about to be free: it runs the first exec handler started here
        /// itself, and leaves rounds to the dispatcher's thread when it has one.
        case handler
        /// A stream pool's thread. Its workers wait for what it sends and its answers wait to be
        /// read, so it serves slots from claims in hand and leaves rounds, which may wait for the
        /// write lock behind a group commit, to the dispatcher's thread.
        case stream
    }

    /// Frees the runs' slots and queues them to be recorded, then pumps once for all of them. A
    /// run cut short by a cancelled stop is not judged: crash recovery runs it again at the next
    /// start, with the next attempt number. Its slot is simply given back.
    private func finish(_ runs: [FinishedRun], on thread: FinishingThread) {
        guard !runs.isEmpty else { return }
        let (starts, stopping) = state.withLock { state in
            state.inFlight -= runs.count
            var granted: [CheckedContinuation<Bool, Never>] = []
            for run in runs {
                state.cancellations[run.settlement.claim.deliveryID] = nil
                let followUp = state.cancelled ? .none : run.followUp
                granted += state.granted(state.scheduler.finished(tenant: run.poolKey, followUp: followUp))
                if !state.cancelled { state.record(run.settlement) }
            }
            // The freed slots are served here, under the lock, even while another thread writes.
            let (starts, returned) = state.serveGranted()
            resume(granted + returned)
            return (starts, state.stopping)
        }
        var keepOne = thread == .handler
        launch(starts, keepOne: &keepOne)
        runs.forEach(observe)
        // Whoever is pumping now may have looked already: then the dispatcher's thread must.
        if !pump(onHandlerThread: thread != .any, keepOne: keepOne) || stopping { doorbell.ring() }
    }

    /// One line per attempt, but a stream handler's success only at debug: at tens of thousands of
    /// events a second, a line each would cost the gateway more than recording the events, and
    /// flood the journal. `coregate_handler_attempts_total` counts every outcome all the same.
    private func log(_ report: HandlerResult, _ completion: Completion, claim: Claim, quietSuccess: Bool) {
        let level: Logger.Level =
            switch completion {
            case .done: quietSuccess ? .debug : .info
            case .retrying: report.outcome == .retryRequested ? .info : .warning
            case .dead: .error
            }
        guard self.logger.logLevel <= level else { return }
        let logger = logger(for: claim)
        let metadata: Logger.Metadata = [
            "outcome": "\(report.outcome.recordedName)", "duration_ms": "\(report.duration.milliseconds)",
        ]
        switch (report.outcome, completion) {
        case (_, .done):
            logger.log(level: level, "delivered", metadata: metadata)
        case (.retryRequested, .retrying(let at)):
            logger.info("handler asked to be retried", metadata: metadata.merging(["retry_at": "\(at)"]) { $1 })
        case (_, .retrying(let at)):
            logger.warning("attempt failed; will retry", metadata: metadata.merging(["retry_at": "\(at)"]) { $1 })
        case (_, .dead):
            logger.error("attempts exhausted: dead letter (coregate replay to run it again)", metadata: metadata)
        }
    }
}

extension HandlerInvocation {
    /// The run of a claimed delivery.
    init(_ claim: Claim, sender: Sender, handler: HandlerConfig, stateDir: String) {
        self.init(
            tenant: claim.tenant, sender: sender, handler: handler, eventID: claim.eventID, eventType: claim.eventType,
            eventJSON: claim.json, attempt: claim.attempt, stateDir: stateDir)
    }
}

extension RetryPolicy {
    public init(delivery: DeliveryConfig) {
        self.init(
            maxAttempts: delivery.maxAttempts,
            backoff: Backoff(initialDelay: delivery.backoffInitial, maxDelay: delivery.backoffMax))
    }
}

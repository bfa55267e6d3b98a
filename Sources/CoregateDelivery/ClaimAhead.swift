/// Deliveries claimed before a slot asks for them: a pure state machine beside ``SlotScheduler``,
/// with no I/O, so every state can be unit-tested.
///
/// Without it, every free slot waits for a store transaction (record the run that ended, claim the
/// next), on the path from one handler's exit to the next one's start. With it, a slot the
/// scheduler grants is served at once from claims in hand, and a transaction comes once per
/// several runs: when a pool's claims in hand fall to half its depth, when a slot finds none, or
/// when finished runs have waited long enough to be recorded. Fairness is the scheduler's alone:
/// a claim in hand is started only in a slot the scheduler gave its pool.
///
/// A claim in hand is `running` in the store, with its attempt counted, though no handler runs it
/// yet. The shell gives them all back (``drain()``) at a stop or a reload, and those held longer
/// than ``maxAge`` (``expired(now:)``): a pool whose slots go to others for that long should not
/// hold them, and on PostgreSQL another node takes a claim back once its lease ends. After a
/// crash, recovery returns them to the queue like any interrupted run, with that attempt counted.
///
/// `Item` is the shell's claim; the tests use plain values.
struct ClaimAhead<Item: Sendable>: Sendable {
    /// A claim held this long goes back to the store (far below PostgreSQL's shortest lease, 10 s).
    static var maxAge: Duration { .seconds(2) }

    /// How many claims each pool keeps in hand at most (0: none, every slot claims from the store).
    private var depths: [String: Int] = [:]
    /// Claims in hand across all pools, at most: they hold each event's JSON.
    let limit: Int
    /// Per pool, claims in hand, in the order the store gave them (due time, then arrival), with
    /// when each was made.
    private var hands: [String: [(item: Item, claimedAt: ContinuousClock.Instant)]] = [:]
    private(set) var readyCount = 0
    /// Slots granted by the scheduler that no claim in hand could serve: the next transaction
    /// claims for them.
    private(set) var waiting: [String: Int] = [:]
    /// Pools whose claims in hand fell to half their depth or below.
    private var low: Set<String> = []
    /// Claims ahead asked for by a transaction not yet answered, so concurrent asks stay within `limit`.
    private var askedAhead = 0

    init(limit: Int) {
        self.limit = limit
    }

    /// New depths (a reload). Claims in hand are the shell's to give back first (``drain()``).
    mutating func configure(depths: [String: Int]) {
        self.depths = depths.filter { $0.value > 0 }
    }

    /// Whether the next transaction has claims to make.
    var needsClaims: Bool { !waiting.isEmpty || !low.isEmpty }

    /// Serves slots the scheduler granted (`granted`, per pool), and any still waiting, from claims
    /// in hand, oldest first. What no claim in hand serves waits for the next transaction.
    mutating func serve(_ granted: [String: Int]) -> [(pool: String, item: Item)] {
        var slots = waiting
        for (pool, count) in granted { slots[pool, default: 0] += count }
        waiting = [:]
        var served: [(pool: String, item: Item)] = []
        for (pool, count) in slots where count > 0 {
            var hand = hands[pool] ?? []
            let taken = min(count, hand.count)
            served += hand.prefix(taken).map { (pool, $0.item) }
            hand.removeFirst(taken)
            hands[pool] = hand.isEmpty ? nil : hand
            readyCount -= taken
            if count > taken { waiting[pool] = count - taken }
            if taken > 0, let depth = depths[pool], hand.count * 2 <= depth { low.insert(pool) }
        }
        return served
    }

    /// What one pool's claim in the next transaction asks for.
    struct Request: Equatable, Sendable {
        /// Granted slots that wait for a claim.
        var slots: Int
        /// Claims to keep in hand.
        var ahead: Int
        var total: Int { slots + ahead }
    }

    /// The next transaction's claims, per pool; from now on the slots are the transaction's to
    /// answer (``claimed(pool:request:items:)``).
    mutating func takeRequests() -> [String: Request] {
        var requests: [String: Request] = [:]
        var room = max(0, limit - readyCount - askedAhead)
        for pool in Set(waiting.keys).union(low) {
            let ahead = min(room, max(0, (depths[pool] ?? 0) - (hands[pool]?.count ?? 0)))
            room -= ahead
            let request = Request(slots: waiting[pool] ?? 0, ahead: ahead)
            if request.total > 0 { requests[pool] = request }
        }
        askedAhead += requests.values.reduce(0) { $0 + $1.ahead }
        waiting = [:]
        low = []
        return requests
    }

    /// A transaction's claims for `pool`, made at `now`, in store order: the first serve the slots
    /// that waited for them, the rest are kept in hand. Slots beyond `items` found nothing due.
    mutating func claimed(pool: String, request: Request, items: [Item], now: ContinuousClock.Instant) -> [Item] {
        askedAhead -= request.ahead
        let served = Array(items.prefix(request.slots))
        let kept = items.dropFirst(request.slots)
        if !kept.isEmpty {
            hands[pool, default: []] += kept.map { ($0, now) }
            readyCount += kept.count
        }
        return served
    }

    /// When the oldest claim in hand turns ``maxAge``; nil when none is held.
    var nextExpiry: ContinuousClock.Instant? {
        hands.values.compactMap { $0.first?.claimedAt }.min().map { $0 + Self.maxAge }
    }

    /// Takes out the claims held ``maxAge`` or longer, for the shell to give back to the store.
    mutating func expired(now: ContinuousClock.Instant) -> [Item] {
        var expired: [Item] = []
        for (pool, hand) in hands {
            let old = hand.prefix { now - $0.claimedAt >= Self.maxAge }
            guard !old.isEmpty else { continue }
            expired += old.map(\.item)
            hands[pool] = hand.count == old.count ? nil : Array(hand.dropFirst(old.count))
        }
        readyCount -= expired.count
        return expired
    }

    /// A transaction failed: its claims ahead were not made.
    mutating func failed(_ requests: [String: Request]) {
        askedAhead -= requests.values.reduce(0) { $0 + $1.ahead }
    }

    /// Every claim in hand, to give back to the store; slots still waiting are the shell's to give
    /// back to the scheduler.
    mutating func drain() -> (items: [Item], waiting: [String: Int]) {
        defer {
            hands = [:]
            readyCount = 0
            waiting = [:]
            low = []
        }
        return (hands.values.flatMap { $0.map(\.item) }, waiting)
    }
}

@testable import CoregateDelivery
import Testing

/// Claims in hand in every state, driven as the dispatcher drives them: the scheduler grants
/// slots, a round claims, runs finish, a stop or reload takes everything back.
@Suite("Claims ahead")
struct ClaimAheadTests {
    let start = ContinuousClock.now

    @Test("a slot with no claim in hand waits for a round, which claims for it and for the hand")
    func firstSlotClaimsAhead() {
        var ahead = ClaimAhead<Int>(limit: 256)
        ahead.configure(depths: ["acme": 16])
        #expect(ahead.serve(["acme": 1]).isEmpty)
        #expect(ahead.needsClaims)
        let requests = ahead.takeRequests()
        #expect(requests == ["acme": .init(slots: 1, ahead: 16)])
        #expect(!ahead.needsClaims, "the round has taken the slot")
        let served = ahead.claimed(pool: "acme", request: requests["acme"]!, items: Array(1...17), now: start)
        #expect(served == [1], "the oldest claim serves the slot that waited")
        #expect(ahead.drain().items == Array(2...17), "the rest is kept in hand, in store order")
    }

    @Test("granted slots are served from the hand, oldest first, with no round until it runs low")
    func servedFromHand() {
        var ahead = handWith(Array(1...16))
        for expected in 1...7 {
            #expect(ahead.serve(["acme": 1]).map(\.item) == [expected])
            #expect(!ahead.needsClaims, "\(16 - expected) in hand is more than half of 16")
        }
        #expect(ahead.serve(["acme": 1]).map(\.item) == [8])
        #expect(ahead.needsClaims, "8 left in hand: half the depth")
        #expect(ahead.takeRequests() == ["acme": .init(slots: 0, ahead: 8)])
    }

    @Test("slots beyond the hand wait for the round; what the round does not find was not due")
    func slotsBeyondTheHand() {
        var ahead = handWith([1, 2])
        let served = ahead.serve(["acme": 4])
        #expect(served.map(\.item) == [1, 2])
        #expect(ahead.waiting == ["acme": 2])
        let request = ahead.takeRequests()["acme"]!
        #expect(request == .init(slots: 2, ahead: 16))
        #expect(ahead.claimed(pool: "acme", request: request, items: [3], now: start) == [3], "one slot is left without a claim")
        #expect(ahead.readyCount == 0, "nothing was left to keep in hand")
    }

    @Test("a pool without depth (stream handlers, direct tenants) keeps nothing in hand")
    func noDepthNoHand() {
        var ahead = ClaimAhead<Int>(limit: 256)
        ahead.configure(depths: ["acme": 16])
        #expect(ahead.serve(["acme/stream": 64]).isEmpty)
        let request = ahead.takeRequests()["acme/stream"]!
        #expect(request == .init(slots: 64, ahead: 0))
        #expect(ahead.claimed(pool: "acme/stream", request: request, items: Array(1...64), now: start).count == 64)
        #expect(ahead.readyCount == 0)
    }

    @Test("the hands of all pools together stay within the limit, counting claims asked for and not yet made")
    func limitAcrossPools() {
        var ahead = ClaimAhead<Int>(limit: 20)
        ahead.configure(depths: ["a": 16, "b": 16, "c": 16])
        _ = ahead.serve(["a": 1, "b": 1])
        let requests = ahead.takeRequests()
        #expect(requests.values.reduce(0) { $0 + $1.ahead } == 20)
        _ = ahead.serve(["c": 1])
        #expect(ahead.takeRequests()["c"] == .init(slots: 1, ahead: 0), "a round in flight has asked for the whole limit")
        ahead.failed(requests)
        _ = ahead.serve(["c": 1])
        #expect(ahead.takeRequests()["c"] == .init(slots: 1, ahead: 16), "a failed round asks for nothing any more")
    }

    @Test("a stop or a reload takes back every claim in hand and the slots still waiting")
    func drain() {
        var ahead = handWith([1, 2, 3])
        _ = ahead.serve(["other": 2])
        let (items, waiting) = ahead.drain()
        #expect(items.sorted() == [1, 2, 3])
        #expect(waiting == ["other": 2])
        #expect(ahead.readyCount == 0 && ahead.drain().items.isEmpty && !ahead.needsClaims)
    }

    @Test("claims held two seconds go back, oldest first, and the hand says when the next one will")
    func expiry() {
        var ahead = handWith([1, 2])
        let later = start + .seconds(1)
        _ = ahead.serve(["acme": 1])
        let request = ahead.takeRequests()["acme"]!
        _ = ahead.claimed(pool: "acme", request: request, items: [3, 4], now: later)
        #expect(ahead.nextExpiry == start + .seconds(2))
        #expect(ahead.expired(now: start + .milliseconds(1999)).isEmpty)
        #expect(ahead.expired(now: start + .seconds(2)) == [2], "1 was served; 3 and 4 are a second younger")
        #expect(ahead.nextExpiry == later + .seconds(2))
        #expect(ahead.expired(now: later + .seconds(5)) == [3, 4])
        #expect(ahead.readyCount == 0 && ahead.nextExpiry == nil)
    }

    /// A hand of `items` for pool "acme" (depth 16), as a first round leaves it.
    private func handWith(_ items: [Int]) -> ClaimAhead<Int> {
        var ahead = ClaimAhead<Int>(limit: 256)
        ahead.configure(depths: ["acme": 16])
        _ = ahead.serve(["acme": 1])
        let request = ahead.takeRequests()["acme"]!
        _ = ahead.claimed(pool: "acme", request: request, items: [0] + items, now: start)
        return ahead
    }
}

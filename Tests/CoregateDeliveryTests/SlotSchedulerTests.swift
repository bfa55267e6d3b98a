import CoregateDelivery
import Foundation
import Testing

/// The scheduler in every state, driven as the dispatcher drives it: work arrives, the shell
/// claims for reserved slots, runs finish.
@Suite("Slot scheduler")
struct SlotSchedulerTests {
    let now = Date(timeIntervalSince1970: 1_800_000_000)

    @Test("an idle tenant holds no slot: with 300 tenants only the one with work gets them")
    func idleTenantsHoldNothing() {
        let tenants = (0..<300).map { String(format: "t%03d", $0) }
        var scheduler = SlotScheduler(total: 4, concurrency: Dictionary(uniqueKeysWithValues: tenants.map { ($0, 4) }))
        _ = scheduler.workArrived(for: ["t299"])
        #expect(scheduler.takeClaims() == ["t299": 4])
        #expect(scheduler.runningCount == 4)
    }

    @Test("a stream handler's slots are events in flight: outside the process total, bounded by its own capacity")
    func streamPoolsOutsideTotal() {
        var scheduler = SlotScheduler(
            total: 2, concurrency: ["acme": 2, "acme/stream": 128], outsideTotal: ["acme/stream"])
        _ = scheduler.workArrived(for: ["acme", "acme/stream"])
        #expect(scheduler.takeClaims() == ["acme": 2, "acme/stream": 128])
        #expect(scheduler.runningCount == 2, "only processes count")
        _ = scheduler.claimed(tenant: "acme/stream", reserved: 128, got: 128, nextDue: nil)
        _ = scheduler.finished(tenant: "acme/stream", followUp: .laneMoved)
        #expect(scheduler.takeClaims() == ["acme/stream": 1], "a freed stream slot goes back to the stream pool")

        // A reload that drops the pool while events are in flight leaves the process total alone.
        _ = scheduler.configure(total: 2, concurrency: ["acme": 2], outsideTotal: [])
        _ = scheduler.finished(tenant: "acme/stream", followUp: .none)
        #expect(scheduler.runningCount == 2)
    }

    @Test("tenants with work each get a slot before any gets a second")
    func spreadAcrossTenants() {
        var scheduler = SlotScheduler(total: 4, concurrency: ["a": 4, "b": 4, "c": 4, "d": 4, "e": 4])
        _ = scheduler.workArrived(for: ["a", "b", "c", "d", "e"])
        let claims = scheduler.takeClaims()
        #expect(claims.values.reduce(0, +) == 4)
        #expect(claims.values.allSatisfy { $0 == 1 })
    }

    @Test("a newcomer gets the next free slot ahead of a tenant with a long backlog")
    func newcomerGoesFirst() {
        var scheduler = SlotScheduler(total: 4, concurrency: ["busy": 4, "new": 4])
        _ = scheduler.workArrived(for: ["busy"])
        #expect(scheduler.takeClaims() == ["busy": 4])
        _ = scheduler.claimed(tenant: "busy", reserved: 4, got: 4, nextDue: nil)
        _ = scheduler.workArrived(for: ["new"])
        #expect(scheduler.takeClaims() == [:], "every slot is taken")
        _ = scheduler.finished(tenant: "busy", followUp: .laneMoved)
        #expect(scheduler.takeClaims() == ["new": 1])
    }

    @Test("40 tenants that post once are all served while one tenant's backlog holds every slot")
    func fortyNewcomers() {
        let newcomers = (0..<40).map { "n\($0)" }
        var limits = Dictionary(uniqueKeysWithValues: newcomers.map { ($0, 4) })
        limits["busy"] = 4
        var scheduler = SlotScheduler(total: 4, concurrency: limits)
        _ = scheduler.workArrived(for: ["busy"])
        var running = claimAll(&scheduler)
        _ = scheduler.workArrived(for: newcomers)
        var served: [String] = []
        var busyRuns = 0
        // Each finished run frees one slot; the newcomers' single events are exhausted after one claim.
        while served.count < 40 {
            let done = running.removeFirst()
            _ = scheduler.finished(tenant: done, followUp: done == "busy" ? .laneMoved : .none)
            for (tenant, count) in scheduler.takeClaims() {
                let got = tenant == "busy" ? count : min(count, 1)
                _ = scheduler.claimed(tenant: tenant, reserved: count, got: got, nextDue: nil)
                running += Array(repeating: tenant, count: got)
                if tenant == "busy" { busyRuns += got } else { served.append(tenant) }
            }
        }
        #expect(Set(served) == Set(newcomers))
        #expect(busyRuns <= 4, "the backlog got at most a slot per few newcomers, not the slots")
    }

    @Test("shares follow each tenant's concurrency when both always have work")
    func weightedShare() {
        var scheduler = SlotScheduler(total: 4, concurrency: ["heavy": 6, "light": 2])
        _ = scheduler.workArrived(for: ["heavy", "light"])
        var running = claimAll(&scheduler)
        var grants = ["heavy": 0, "light": 0]
        for _ in 0..<400 {
            let done = running.removeFirst()
            _ = scheduler.finished(tenant: done, followUp: .laneMoved)
            for (tenant, count) in scheduler.takeClaims() {
                _ = scheduler.claimed(tenant: tenant, reserved: count, got: count, nextDue: nil)
                grants[tenant, default: 0] += count
                running += Array(repeating: tenant, count: count)
            }
        }
        let ratio = Double(grants["heavy"]!) / Double(grants["light"]!)
        #expect((2.5...3.5).contains(ratio), "3:1 expected, got \(grants)")
    }

    @Test("a tenant never runs more than its own concurrency, nor all tenants more than the total")
    func bounds() {
        var scheduler = SlotScheduler(total: 10, concurrency: ["a": 2, "b": 3])
        _ = scheduler.workArrived(for: ["a", "b"])
        #expect(scheduler.takeClaims() == ["a": 2, "b": 3])
        #expect(scheduler.runningCount == 5)
        _ = scheduler.configure(total: 4, concurrency: ["a": 2, "b": 3, "c": 9])
        _ = scheduler.workArrived(for: ["c"])
        #expect(scheduler.takeClaims() == [:], "5 run, over the new total of 4: nothing more until they finish")
        _ = scheduler.finished(tenant: "a", followUp: .laneMoved)
        _ = scheduler.finished(tenant: "b", followUp: .laneMoved)
        #expect(scheduler.takeClaims() == ["c": 1])
    }

    @Test("slots a claim could not use go to others, and the tenant waits for its next due time")
    func shortClaim() {
        var scheduler = SlotScheduler(total: 4, concurrency: ["a": 4, "b": 4])
        _ = scheduler.workArrived(for: ["a"])
        #expect(scheduler.takeClaims() == ["a": 4])
        let retryAt = now + 30
        _ = scheduler.workArrived(for: ["b"])
        _ = scheduler.claimed(tenant: "a", reserved: 4, got: 1, nextDue: retryAt)
        #expect(scheduler.takeClaims() == ["b": 3])
        #expect(scheduler.nextDue == retryAt)
        _ = scheduler.claimed(tenant: "b", reserved: 3, got: 0, nextDue: nil)
        #expect(scheduler.takeClaims() == [:], "a has nothing due before its retry time")
        _ = scheduler.timePassed(now: retryAt - 1)
        #expect(scheduler.takeClaims() == [:])
        _ = scheduler.timePassed(now: retryAt)
        #expect(scheduler.takeClaims() == ["a": 3])
        #expect(scheduler.nextDue == nil)
    }

    @Test("a retry waits for its time; a finished delivery makes its tenant contend at once")
    func followUps() {
        var scheduler = SlotScheduler(total: 1, concurrency: ["a": 1])
        _ = scheduler.workArrived(for: ["a"])
        _ = scheduler.claimed(tenant: "a", reserved: scheduler.takeClaims()["a"]!, got: 1, nextDue: nil)
        // The run fails and waits for a retry; the full claim left "a" believed due, so it claims
        // once more, finds nothing, and then waits for the retry time the store names.
        _ = scheduler.finished(tenant: "a", followUp: .retry(at: now + 5))
        #expect(scheduler.takeClaims() == ["a": 1])
        _ = scheduler.claimed(tenant: "a", reserved: 1, got: 0, nextDue: now + 5)
        #expect(scheduler.nextDue == now + 5)
        #expect(scheduler.runningCount == 0)
        _ = scheduler.timePassed(now: now + 5)
        _ = scheduler.claimed(tenant: "a", reserved: scheduler.takeClaims()["a"]!, got: 1, nextDue: nil)
        _ = scheduler.claimed(tenant: "a", reserved: 0, got: 0, nextDue: nil)
        // Nothing believed due now; finishing the delivery may free the contact's next event.
        #expect(scheduler.takeClaims() == [:])
        _ = scheduler.finished(tenant: "a", followUp: .laneMoved)
        #expect(scheduler.takeClaims() == ["a": 1])
    }

    @Test("resynchronizing with the store makes due tenants contend and schedules the rest")
    func resynchronize() {
        var scheduler = SlotScheduler(total: 4, concurrency: ["due": 1, "later": 1, "gone": 1])
        _ = scheduler.resynchronize(dueDates: ["due": now - 1, "later": now + 60, "unknown": now], now: now)
        #expect(scheduler.takeClaims() == ["due": 1])
        #expect(scheduler.nextDue == now + 60)
    }

    @Test("a reload that removes a tenant stops it contending; a larger total grants at once")
    func reload() {
        var scheduler = SlotScheduler(total: 1, concurrency: ["a": 4, "b": 4])
        _ = scheduler.workArrived(for: ["a", "b"])
        let first = scheduler.takeClaims()
        #expect(first.values.reduce(0, +) == 1)
        _ = scheduler.configure(total: 8, concurrency: ["a": 4])
        let second = scheduler.takeClaims()
        #expect(second == ["a": first["a"] == 1 ? 3 : 4])
    }

    @Test("a direct request gets a free slot at once")
    func directAtOnce() {
        var scheduler = SlotScheduler(total: 2, concurrency: ["d": 2])
        let answer1 = scheduler.directRequested(tenant: "d", waiter: 1)
        #expect(answer1)
        #expect(scheduler.running(tenant: "d") == 1)
        #expect(!scheduler.hasClaims)
    }

    @Test("a direct request waits while slots are full, and gets the next one ahead of a backlog")
    func directWaits() {
        var scheduler = SlotScheduler(total: 2, concurrency: ["queue": 2, "d": 2])
        _ = scheduler.workArrived(for: ["queue"])
        _ = scheduler.claimed(tenant: "queue", reserved: scheduler.takeClaims()["queue"]!, got: 2, nextDue: nil)
        let answer2 = scheduler.directRequested(tenant: "d", waiter: 7)
        #expect(!answer2)
        let decisions = scheduler.finished(tenant: "queue", followUp: .laneMoved)
        #expect(decisions.directGranted == [7])
        #expect(!scheduler.hasClaims)
    }

    @Test("direct requests of one tenant are served in the order they came")
    func directOrder() {
        var scheduler = SlotScheduler(total: 1, concurrency: ["d": 1])
        let answer3 = scheduler.directRequested(tenant: "d", waiter: 1)
        #expect(answer3)
        let answer4 = scheduler.directRequested(tenant: "d", waiter: 2)
        #expect(!answer4)
        let answer5 = scheduler.directRequested(tenant: "d", waiter: 3)
        #expect(!answer5)
        #expect(scheduler.finished(tenant: "d", followUp: .none).directGranted == [2])
        #expect(scheduler.finished(tenant: "d", followUp: .none).directGranted == [3])
    }

    @Test("a direct request that gave up is never granted; one granted before giving up keeps its slot")
    func directAbandoned() {
        var scheduler = SlotScheduler(total: 1, concurrency: ["d": 1])
        let answer6 = scheduler.directRequested(tenant: "d", waiter: 1)
        #expect(answer6)
        let answer7 = scheduler.directRequested(tenant: "d", waiter: 2)
        #expect(!answer7)
        let answer8 = scheduler.directAbandoned(2)
        #expect(answer8)
        #expect(scheduler.finished(tenant: "d", followUp: .none).directGranted == [])
        #expect(scheduler.runningCount == 0)
        let answer9 = scheduler.directAbandoned(1)
        #expect(!answer9, "granted at once: it holds a slot and must finish")
    }

    @Test("a tenant that is not configured gets no slot")
    func unknownTenant() {
        var scheduler = SlotScheduler(total: 4, concurrency: ["a": 4])
        _ = scheduler.workArrived(for: ["ghost"])
        #expect(scheduler.takeClaims() == [:])
        let answer10 = scheduler.directRequested(tenant: "ghost", waiter: 1)
        #expect(!answer10)
    }

    /// Claims every reserved slot in full and returns the running tenants, oldest first.
    private func claimAll(_ scheduler: inout SlotScheduler) -> [String] {
        var running: [String] = []
        for (tenant, count) in scheduler.takeClaims().sorted(by: { $0.key < $1.key }) {
            _ = scheduler.claimed(tenant: tenant, reserved: count, got: count, nextDue: nil)
            running += Array(repeating: tenant, count: count)
        }
        return running
    }
}

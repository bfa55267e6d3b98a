import Foundation
import Testing
@testable import CoregateStore

/// The store must stay flat under a large backlog: claims read a few index entries, never the
/// backlog. 200,000 events keep this under a minute in a debug build; set
/// `COREGATE_STORE_BACKLOG=1000000` to run it at a million.
@Suite("Large backlog")
struct LargeBacklogTests {
    @Test("claims stay fast and memory flat with a large backlog, even behind one contact's long line", arguments: Backend.available)
    func claimsStayFlat(backend: Backend) async throws {
        // Given a backlog: most events spread over 5,000 contacts, a quarter in one contact's line
        let place = try await StorePlace(backend)
        let store = try await place.open()
        let total = ProcessInfo.processInfo.environment["COREGATE_STORE_BACKLOG"].flatMap(Int.init) ?? 200_000
        let batch = 2000
        let ingestStart = ContinuousClock.now
        for first in stride(from: 0, to: total, by: batch) {
            _ = try await store.enqueue((first..<first + batch).map { n in
                makeEvent("e\(n)", contact: n % 4 == 0 ? "hot" : "c\(n % 5000)")
            })
        }
        let ingest = ContinuousClock.now - ingestStart
        #expect(store.backlog(tenant: "acme") == total)

        // When the dispatcher claims 8 at a time and completes them, 250 rounds
        let rssBefore = residentMemory()
        var latencies: [Duration] = []
        for _ in 0..<250 {
            let start = ContinuousClock.now
            let claims = try await store.claimReady(limitPerTenant: ["acme": 8])
            latencies.append(ContinuousClock.now - start)
            #expect(claims.count == 8)
            for claim in claims {
                try await store.complete(claim, report: report(.succeeded), policy: noDelay)
            }
        }
        let rssGrowth = residentMemory() - rssBefore

        // Then claims take milliseconds and memory does not grow with the backlog
        latencies.sort()
        let p50 = latencies[latencies.count / 2], p99 = latencies[latencies.count * 99 / 100]
        print("backlog \(total): ingest \(ingest) (\(Int(Double(total) / ingest.timeInterval)) events/s in batches of \(batch)); claim of 8: p50 \(p50), p99 \(p99); RSS +\(rssGrowth / 1024) KiB")
        #expect(p50 < .milliseconds(20))
        #expect(p99 < .milliseconds(200))
        #expect(rssGrowth < 32 << 20)
    }

    @Test("concurrent small requests are ingested in group commits", .enabled(if: ProcessInfo.processInfo.environment["COREGATE_STORE_BENCH"] != nil))
    func groupCommitRate() async throws {
        // A measurement, not a check: run with COREGATE_STORE_BENCH=1 (and -c release for real numbers).
        for powerLossSafe in [false, true] {
            for callers in [1, 8, 64] {
                let directory = TemporaryDirectory()
                let store = try SQLiteStore(directory: directory.path, options: .init(powerLossSafe: powerLossSafe))
                let perCaller = 20_000 / callers
                let start = ContinuousClock.now
                try await withThrowingTaskGroup(of: Void.self) { group in
                    for caller in 0..<callers {
                        group.addTask {
                            for n in 0..<perCaller {
                                _ = try await store.enqueue([makeEvent("c\(caller)-\(n)", contact: "k\(n % 100)")])
                            }
                        }
                    }
                    try await group.waitForAll()
                }
                let elapsed = ContinuousClock.now - start
                let events = callers * perCaller
                print("powerLossSafe \(powerLossSafe), \(callers) callers: \(Int(Double(events) / elapsed.timeInterval)) requests/s, \(await store.groupCommits) commits for \(events) requests")
            }
        }
    }
}

/// This process's resident set, from /proc.
func residentMemory() -> Int {
    guard let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8),
          let line = status.split(separator: "\n").first(where: { $0.hasPrefix("VmRSS:") }),
          let kib = Int(line.split(separator: " ")[1])
    else { return 0 }
    return kib * 1024
}

import CoregateWhatsApp
import Foundation

// Decode throughput for a realistic mix of webhook bodies, beside Foundation's JSONSerialization
// parsing the same bodies in the same run, so the ratio shows what normalizing costs over parsing
// alone (and how it moves on another machine).
//
// The mix: the test fixtures, one callback per body as a Coreapp posts them, weighted as BSPs size
// traffic (about three status callbacks per message sent, one per message received): each status
// fixture counts three times, every other fixture once.

let secondsPerMeasurement = CommandLine.arguments.firstIndex(of: "--seconds")
    .flatMap { Double(CommandLine.arguments[$0 + 1]) } ?? 5

let fixtures = URL(fileURLWithPath: #filePath)
    .deletingLastPathComponent().appendingPathComponent("../../../../Tests/CoregateWhatsAppTests/Resources/fixtures")
    .standardizedFileURL
let names = try FileManager.default.contentsOfDirectory(atPath: fixtures.path).filter { $0.hasSuffix(".json") }.sorted()
var mix: [(body: [UInt8], sender: String)] = []
for name in names {
    let body = Array(try Data(contentsOf: fixtures.appendingPathComponent(name)))
    let sender = name.hasPrefix("cloud-") ? "cloud" : "on-premises"
    mix += Array(repeating: (body, sender), count: name.contains("status") ? 3 : 1)
}
let bodies = mix.map { Data($0.body) }
let eventsPerRound = try mix.reduce(0) { count, item in
    count + (try WebhookDecoder.decode(item.body, sender: item.sender, tenant: "bench", receivedAt: Date())).count
}
let bytesPerRound = mix.reduce(0) { $0 + $1.body.count }

/// One thing to measure: a round over the whole mix, returning something so it is not optimized away.
struct Workload {
    let name: String
    let round: () throws -> Int
}

/// Rounds per second of each workload. They take turns in short slices and each keeps its best
/// slice, so a burst of load from elsewhere on the machine lowers no single one of them.
func measure(_ workloads: [Workload], slices: Int = 10) throws -> [Double] {
    let clock = ContinuousClock()
    let slice = Duration.seconds(secondsPerMeasurement / Double(slices))
    var best = Array(repeating: 0.0, count: workloads.count)
    var sink = 0
    for workload in workloads { sink &+= try workload.round() }  // warm-up
    for _ in 0..<slices {
        for (index, workload) in workloads.enumerated() {
            let start = clock.now
            var rounds = 0
            while clock.now - start < slice {
                sink &+= try workload.round()
                rounds += 1
            }
            let elapsed = (clock.now - start).components
            let seconds = Double(elapsed.seconds) + Double(elapsed.attoseconds) / 1e18
            best[index] = max(best[index], Double(rounds) / seconds)
        }
    }
    for (workload, perSecond) in zip(workloads, best) {
        print(workload.name.padding(toLength: 30, withPad: " ", startingAt: 0)
            + String(format: "%10.0f events/s  %7.1f MiB/s", perSecond * Double(eventsPerRound), perSecond * Double(bytesPerRound) / 1_048_576)
            + (sink == 42 ? " " : ""))
    }
    return best
}

print("mix: \(mix.count) bodies from \(names.count) fixtures, \(eventsPerRound) events, \(bytesPerRound) bytes per round")
let receivedAt = Date()
let rates = try measure([
    Workload(name: "JSONSerialization.jsonObject") {
        var count = 0
        for body in bodies {
            count += (try JSONSerialization.jsonObject(with: body) as? [String: Any])?.count ?? 0
        }
        return count
    },
    Workload(name: "WebhookDecoder.decode") {
        var count = 0
        for item in mix {
            count += try WebhookDecoder.decode(item.body, sender: item.sender, tenant: "bench", receivedAt: receivedAt).count
        }
        return count
    },
    Workload(name: "decode + jsonLine()") {
        var count = 0
        for item in mix {
            for event in try WebhookDecoder.decode(item.body, sender: item.sender, tenant: "bench", receivedAt: receivedAt) {
                count += event.jsonLine().count
            }
        }
        return count
    },
])
print(String(format: "decode / JSONSerialization: %.2f× the throughput (decode + jsonLine: %.2f×)",
             rates[1] / rates[0], rates[2] / rates[0]))

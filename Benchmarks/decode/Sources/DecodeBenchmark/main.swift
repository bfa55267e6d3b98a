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
    .flatMap { Double(CommandLine.arguments[$0 + 1]) } ?? 3

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

/// Runs `round` until `secondsPerMeasurement` have passed; returns rounds per second.
func measure(_ name: String, _ round: () throws -> Int) rethrows -> Double {
    var sink = try round()  // warm-up
    let clock = ContinuousClock()
    let start = clock.now
    var rounds = 0
    while clock.now - start < .seconds(secondsPerMeasurement) {
        sink &+= try round()
        rounds += 1
    }
    let elapsed = clock.now - start
    let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
    let perSecond = Double(rounds) / seconds
    let line = "\(name.padding(toLength: 34, withPad: " ", startingAt: 0))"
        + String(format: "%10.0f events/s  %8.1f MiB/s", perSecond * Double(eventsPerRound), perSecond * Double(bytesPerRound) / 1_048_576)
    print(line + (sink == 42 ? " " : ""))
    return perSecond
}

print("mix: \(mix.count) bodies from \(names.count) fixtures, \(eventsPerRound) events, \(bytesPerRound) bytes per round")
let receivedAt = Date()
let parsing = try measure("JSONSerialization.jsonObject") {
    var count = 0
    for body in bodies {
        count += (try JSONSerialization.jsonObject(with: body) as? [String: Any])?.count ?? 0
    }
    return count
}
let decoding = try measure("WebhookDecoder.decode") {
    var count = 0
    for item in mix {
        count += try WebhookDecoder.decode(item.body, sender: item.sender, tenant: "bench", receivedAt: receivedAt).count
    }
    return count
}
let decodingAndWriting = try measure("decode + jsonLine()") {
    var count = 0
    for item in mix {
        for event in try WebhookDecoder.decode(item.body, sender: item.sender, tenant: "bench", receivedAt: receivedAt) {
            count += event.jsonLine().count
        }
    }
    return count
}
print(String(format: "decode / JSONSerialization: %.2f× the throughput (decode + jsonLine: %.2f×)",
             decoding / parsing, decodingAndWriting / parsing))

import ArgumentParser
import CoregateKit
import CoregateStore

extension Coregate {
    struct Stats: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Per tenant: deliveries by state, the oldest pending age, and attempt outcomes over the last hour.")

        @OptionGroup var options: GlobalOptions

        func run() async throws {
            let store = try await options.openStore()
            let stats = try await store.stats()
            let states: [DeliveryState] = [.pending, .running, .retrying, .done, .dead]
            print((["TENANT"] + states.map { $0.rawValue.uppercased() } + ["OLDEST_PENDING", "LAST_HOUR"]).joined(separator: "\t"))
            for tenant in stats {
                let counts = states.map { String(tenant.deliveries[$0] ?? 0) }
                let oldest = tenant.oldestPendingAge.map { "\($0.components.seconds)s" } ?? "-"
                let outcomes = tenant.outcomesLastHour.keys.sorted().map { "\($0)=\(tenant.outcomesLastHour[$0]!)" }
                print(([tenant.tenant] + counts + [oldest, outcomes.isEmpty ? "-" : outcomes.joined(separator: ",")])
                    .joined(separator: "\t"))
            }
        }
    }
}

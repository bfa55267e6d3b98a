import ArgumentParser
import CoregateKit
import CoregateStore

extension Coregate {
    struct Replay: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Queue finished deliveries again: by event id, or a tenant's dead letters.",
            discussion: """
                A replay starts a new round: COREGATE_ATTEMPT counts from 1 again with the tenant's full
                max_attempts, and the earlier attempts stay in `coregate events show`. The running
                service picks replayed deliveries up within a few seconds.
                """)

        @OptionGroup var options: GlobalOptions
        @Argument(help: "Event ids to deliver again.") var ids: [String] = []
        @Option(help: "Replay this tenant's deliveries (with --dead: only the dead letters).") var tenant: String?
        @Flag(help: "Only dead letters.") var dead = false

        func validate() throws {
            guard ids.isEmpty != (tenant == nil) else {
                throw ValidationError("give either event ids or --tenant T [--dead]")
            }
        }

        func run() async throws {
            let store = try await options.openStore()
            let count: Int
            if let tenant {
                count = try await store.replay(tenant: tenant, deadOnly: dead)
            } else {
                count = try await store.replay(ids: ids)
            }
            print("replayed \(count) deliveries")
        }
    }
}

import ArgumentParser
import CoregateKit
import CoregateStore

extension Coregate {
    struct Replay: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Queue finished deliveries again: by event id, or a tenant's dead letters; or send dead reply actions again.",
            discussion: """
                A replay starts a new round: COREGATE_ATTEMPT counts from 1 again with the tenant's full
                max_attempts, and the earlier attempts stay in `coregate events show`. The running
                service picks replayed deliveries up within a few seconds.

                --action ID sends a dead reply action again (its id is in `coregate events show`), with
                its tries counted from 0; --tenant T --dead-actions does so for all of a tenant's.
                Replaying a delivery runs the handler again instead, and sends what that run asks for.
                """)

        @OptionGroup var options: GlobalOptions
        @Argument(help: "Event ids to deliver again.") var ids: [String] = []
        @Option(help: "Replay this tenant's deliveries (with --dead: only the dead letters).") var tenant: String?
        @Flag(help: "Only dead letters.") var dead = false
        @Option(name: .customLong("action"), help: "A dead reply action to send again (repeatable).") var actions: [Int64] = []
        @Flag(help: "With --tenant: send the tenant's dead reply actions again.") var deadActions = false

        func validate() throws {
            if !actions.isEmpty {
                guard ids.isEmpty, tenant == nil, !dead, !deadActions else {
                    throw ValidationError("--action takes no event ids, --tenant or --dead")
                }
                return
            }
            guard ids.isEmpty != (tenant == nil) else {
                throw ValidationError("give either event ids, --tenant T [--dead | --dead-actions], or --action ID")
            }
            if deadActions && (tenant == nil || dead) {
                throw ValidationError("--dead-actions goes with --tenant T, without --dead")
            }
        }

        func run() async throws {
            let store = try await options.openStore()
            if !actions.isEmpty || deadActions {
                let count = try await deadActions
                    ? store.replayDeadReplies(tenant: tenant ?? "") : store.replayReplies(ids: actions)
                print("sending \(count) reply actions again")
                return
            }
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

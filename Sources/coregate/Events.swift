import ArgumentParser
import CoregateKit
import CoregateStore
import CoregateTenants
import CoregateWhatsApp
import Foundation

extension Coregate {
    struct Events: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "List stored events and where their deliveries stand, or show one.",
            subcommands: [List.self, Show.self], defaultSubcommand: List.self)

        struct List: AsyncParsableCommand {
            static let configuration = CommandConfiguration(abstract: "List events, newest first.")

            @OptionGroup var options: GlobalOptions
            @Option(help: "Only this tenant's events.") var tenant: String?
            @Option(help: "Only events with a delivery in this state: pending, running, retrying, done or dead.")
            var state: DeliveryState?
            @Option(help: "Only event types matching this glob, such as 'message.*'.") var type: String?
            @Option(help: "At most this many events.") var limit: Int = 50

            func validate() throws {
                if let type, EventTypePattern(validating: type) == nil {
                    throw ValidationError("--type \(type): a glob of a-z, 0-9, '.', '_', '-' and '*', as in a handler's events")
                }
            }

            func run() async throws {
                let store = try await options.openStore()
                let events = try await store.events(tenant: tenant, state: state, typeGlob: type, limit: limit)
                print(["STORED", "TENANT", "ID", "TYPE", "CONTACT", "DELIVERIES"].joined(separator: "\t"))
                for event in events {
                    let deliveries = event.deliveries.keys.sorted().map { "\($0)=\(event.deliveries[$0]!.rawValue)" }
                    print(
                        [
                            event.storedAt.rfc3339, event.tenant, event.id, event.type, event.contactKey ?? "-",
                            deliveries.isEmpty ? "-" : deliveries.joined(separator: ","),
                        ].joined(separator: "\t"))
                }
            }
        }

        struct Show: AsyncParsableCommand {
            static let configuration = CommandConfiguration(abstract: "Show one event, every delivery and every attempt.")

            @OptionGroup var options: GlobalOptions
            @Argument(help: "The event id.") var id: String

            func run() async throws {
                let store = try await options.openStore()
                let details = try await store.event(id: id)
                guard !details.isEmpty else {
                    print("no event with id \(id)")
                    throw ExitCode.failure
                }
                for event in details {
                    print("event \(event.id)")
                    print("  tenant \(event.tenant), type \(event.type), contact \(event.contactKey ?? "-"), stored \(event.storedAt.rfc3339)")
                    print("  " + String(decoding: event.json, as: UTF8.self))
                    for delivery in event.deliveries {
                        var line = "  delivery \(delivery.handler): \(delivery.state.rawValue), round \(delivery.round), \(delivery.attempts) attempt(s)"
                        if let next = delivery.nextAttemptAt, !delivery.state.isFinished { line += ", next attempt \(next.rfc3339)" }
                        print(line)
                        for attempt in delivery.history {
                            print("    " + attempt.summary)
                            if !attempt.stdout.isEmpty {
                                print("      stdout: " + String(decoding: attempt.stdout, as: UTF8.self).replacingOccurrences(of: "\n", with: "\n              "))
                            }
                        }
                        for reply in delivery.replies {
                            print("    " + reply.summary)
                            print("      body: " + String(decoding: reply.body, as: UTF8.self))
                        }
                    }
                }
            }
        }
    }
}

extension DeliveryState: ExpressibleByArgument {}

extension Date {
    var rfc3339: String { RFC3339.seconds(self) }
}

extension ReplyRecord {
    /// `reply 7 (round 1 #2) text: sent wamid.X after 1 try`, or the API's answer when it was not.
    var summary: String {
        let tried = "\(tries) \(tries == 1 ? "try" : "tries")"
        let where_ = "reply \(id) (round \(round) #\(attempt)) \(kind)"
        switch state {
        case .sent: return "\(where_): sent \(sentMessageID ?? "(no message id)") after \(tried)"
        case .dead: return "\(where_): dead after \(tried): \(answer ?? "-") (coregate replay --action \(id) sends it again)"
        case .pending: return "\(where_): waiting, \(tried) so far" + (answer.map { ": last answer \($0)" } ?? "")
        }
    }
}

extension AttemptRecord {
    var summary: String {
        var parts = ["round \(round) #\(number)", startedAt.rfc3339, outcome]
        if let duration { parts.append("\(duration.milliseconds)ms") }
        if let exitStatus { parts.append("exit \(exitStatus)") }
        if let signal { parts.append("signal \(signal)") }
        if stderrLines > 0 { parts.append("\(stderrLines) stderr lines in the journal") }
        return parts.joined(separator: "  ")
    }
}

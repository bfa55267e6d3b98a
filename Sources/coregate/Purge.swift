import ArgumentParser
import CoregateKit
import CoregateStore
import Foundation

extension Coregate {
    struct Purge: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Delete dead letters that died before a date, with their attempts.")

        @OptionGroup var options: GlobalOptions
        @Flag(help: "Purge dead letters (required: the only kind there is to purge by hand).") var dead = false
        @Option(help: "A date (2026-11-01) or an RFC 3339 time; dead letters that died before it go.")
        var before: String

        func validate() throws {
            guard dead else { throw ValidationError("say --dead: only dead letters are purged by hand") }
            guard Self.parse(before) != nil else { throw ValidationError("--before takes 2026-11-01 or 2026-11-01T12:00:00Z") }
        }

        func run() async throws {
            let store = try await options.openStore()
            let count = try await store.purgeDead(before: Self.parse(before)!)
            print("purged \(count) dead deliveries")
        }

        static func parse(_ text: String) -> Date? {
            if let time = try? Date(text, strategy: .iso8601) { return time }
            return try? Date(text + "T00:00:00Z", strategy: .iso8601)
        }
    }
}

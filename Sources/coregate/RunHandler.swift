import ArgumentParser
import CoregateDelivery
import CoregateKit
import CoregateStore
import CoregateWhatsApp
import Foundation

extension Coregate {
    struct RunHandler: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "run-handler",
            abstract: "Run one handler once on an event, with exactly the environment the service gives it.",
            discussion: """
                The input is a webhook body as the tenant's sender posts it, one normalized event (as \
                `coregate decode --tenant TENANT` prints it, indented or not), or several such events, one a line. \
                The handler runs on each event it takes, one after another, as the service would run it; \
                events it does not take are skipped and said so. --index picks one event.

                Prints the outcome and the handler's stdout; the handler's stderr lines go to stderr as they come. \
                The handler's state folder is under the configured state_dir, so pass the same --state-dir as the service.

                Exit status: 0 when every run succeeded, 75 when a run asked for a retry and none failed, 1 otherwise.
                """)

        @OptionGroup var options: GlobalOptions

        @Option(help: "The tenant id.")
        var tenant: String

        @Option(help: "The handler's name in the tenant's file.")
        var handler: String

        @Option(help: "Run only the Nth event of the input (1 is the first).")
        var index: Int?

        @Option(help: "The attempt number the handler is told (COREGATE_ATTEMPT).")
        var attempt = 1

        @Argument(help: ArgumentHelp("The webhook body or event(s); - or none reads standard input.", valueName: "file"))
        var file: String?

        func validate() throws {
            if let index, index < 1 { throw ValidationError("--index counts from 1") }
            if attempt < 1 { throw ValidationError("--attempt counts from 1") }
        }

        func run() async throws {
            let configuration = try options.loadConfiguration()
            let trial: HandlerTrial
            var events: [EventLine]
            do {
                trial = try HandlerTrial(configuration: configuration, tenant: tenant, handler: handler)
                events = try trial.events(in: try readInput())
            } catch let error as ValidationError {
                throw error
            } catch {
                printError("coregate run-handler: \(error)")
                throw ExitCode.failure
            }
            if let index {
                guard index <= events.count else {
                    printError("coregate run-handler: --index \(index), but the input has \(events.count) event(s)")
                    throw ExitCode.failure
                }
                events = [events[index - 1]]
            }

            var worst: Int32 = 0
            var ran = 0
            for (position, event) in events.enumerated() {
                let label = "event \(position + 1) of \(events.count): \(event.id) (\(event.type))"
                guard trial.takes(event) else {
                    printOutput("\(label) skipped: \(tenant)/\(handler) takes \(trial.handler.events.joined(separator: ", "))")
                    continue
                }
                printOutput("\(label) → \(tenant)/\(handler), attempt \(attempt)")
                let result = await trial.run(event, attempt: attempt) { line in printError("stderr: \(line)") }
                ran += 1
                printOutput("outcome: \(result.outcome) in \(result.duration.milliseconds) ms")
                let output = result.standardOutput
                printOutput("stdout (\(output.count) bytes\(result.standardOutputTruncated ? ", cut at the limit" : "")):")
                if !output.isEmpty {
                    FileHandle.standardOutput.write(Data(output.last == UInt8(ascii: "\n") ? output : output + [10]))
                }
                for reply in result.replies {
                    printOutput("would send (\(reply.kind.rawValue)): " + String(decoding: reply.body, as: UTF8.self))
                }
                if case .badReply(let reason) = result.outcome {
                    printOutput("the service would record a failed attempt (bad-reply) and send nothing: \(reason)")
                }
                worst = max(worst, Self.exitStatus(for: result.outcome))
            }
            guard ran > 0 else {
                printError("coregate run-handler: \(tenant)/\(handler) takes none of the events given")
                throw ExitCode.failure
            }
            if worst != 0 { throw ExitCode(worst == 75 ? 75 : 1) }
        }

        /// Ordered by severity, so the worst of several runs is the largest: 0, then 75, then 1.
        private static func exitStatus(for outcome: HandlerOutcome) -> Int32 {
            switch outcome {
            case .succeeded: 0
            case .retryRequested: 75
            default: 100
            }
        }

        private func readInput() throws -> [UInt8] {
            guard let file, file != "-" else { return Array(FileHandle.standardInput.readDataToEndOfFile()) }
            guard let data = FileManager.default.contents(atPath: file) else { throw ValidationError("cannot read \(file)") }
            return Array(data)
        }
    }
}

/// One line on stdout, unbuffered like the handler's bytes written beside it, so they stay in order.
private func printOutput(_ line: String) {
    FileHandle.standardOutput.write(Data((line + "\n").utf8))
}

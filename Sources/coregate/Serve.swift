import ArgumentParser
import CoregateKit

extension Coregate {
    struct Serve: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Run the gateway (under systemd, or by hand with --listen).")

        @OptionGroup var options: GlobalOptions

        func run() async throws {
            throw ExitCode(await CoregateKit.Serve.run(options.source))
        }
    }
}

import ArgumentParser
import CoregateKit

extension Coregate {
    struct Serve: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Run the gateway (under systemd, or by hand with --listen).")

        @OptionGroup var options: GlobalOptions

        @Option(help: "Seconds that requests in flight may take to finish after SIGTERM.")
        var shutdownGrace: Int = 10

        func run() async throws {
            let status = await CoregateKit.Serve.run(
                .init(source: options.source, shutdownGrace: .seconds(shutdownGrace)))
            throw ExitCode(status)
        }
    }
}

import ArgumentParser
import CoregateKit

extension Coregate {
    struct Check: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Validate the global config and every tenant file as serve would; print each problem as FILE:LINE: message.")

        @OptionGroup var options: GlobalOptions

        func run() throws {
            let (serving, problems) = options.source.loadForServing()
            for problem in problems {
                print(problem)
            }
            guard let serving else { throw ExitCode.failure }
            print("ok: \(serving.configuration.tenants.count) tenants")
        }
    }
}

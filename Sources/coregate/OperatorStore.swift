import ArgumentParser
import CoregateKit
import CoregateStore

extension GlobalOptions {
    /// The store the service uses, opened beside it. Only the global file matters here, so a
    /// broken tenant file never keeps an operator from looking at the queue.
    func openStore() async throws -> any Store {
        let (global, problems) = source.loadGlobal()
        let errors = problems.filter { $0.severity == .error }
        guard errors.isEmpty else {
            errors.forEach { print($0) }
            throw ExitCode.failure
        }
        return try await StoreSetup.open(global)
    }
}

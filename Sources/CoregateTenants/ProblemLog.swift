/// Collects the problems of one config file, each placed on the line of the key it is about.
///
/// Parsing goes on after a problem so that `check` can list every mistake in one run.
final class ProblemLog {
    let file: String
    let locator: KeyLocator
    private(set) var problems: [ConfigProblem] = []

    init(file: String, locator: KeyLocator) {
        self.file = file
        self.locator = locator
    }

    var hasErrors: Bool { problems.contains { $0.severity == .error } }

    func error(_ message: String, at path: KeyPath) {
        add(message, at: path, severity: .error)
    }

    func warning(_ message: String, at path: KeyPath) {
        add(message, at: path, severity: .warning)
    }

    /// A problem whose line is known some other way, such as a syntax error's line from the parser.
    func record(_ problem: ConfigProblem) {
        problems.append(problem)
    }

    private func add(_ message: String, at path: KeyPath, severity: ConfigProblem.Severity) {
        problems.append(ConfigProblem(
            file: file, line: locator.line(of: path), keyPath: path.description, message: message, severity: severity))
    }
}

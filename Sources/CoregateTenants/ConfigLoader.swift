import Foundation

/// The one way to load the configuration, used alike by `check`, by `serve` at startup and on
/// SIGHUP, so that what `check` accepts is exactly what the service will run.
public enum ConfigLoader {
    /// globalFile nil = no global file (defaults). Problems include warnings; configuration is nil when any error exists.
    ///
    /// Loading never stops at the first problem: every file is read so that `check` can list all of them.
    /// `environment` is where `env:` references and `CREDENTIALS_DIRECTORY` are looked up.
    /// `loadTLS` reads the certificate, key and client CA once they are known to be readable; it
    /// lives where the TLS library is, and its problems are placed here at the keys they name.
    /// `openFileLimit` bounds `max_connections` (see `DescriptorBudget`); nil for the operator
    /// commands, which serve no connections.
    public static func load(
        globalFile: String?, overrides: ConfigOverrides, environment: [String: String],
        openFileLimit: Int? = nil, loadTLS: (GlobalConfig) -> [KeyedProblem] = { _ in [] }
    ) -> (configuration: Configuration?, problems: [ConfigProblem]) {
        let (global, globalProblems) = loadGlobal(
            globalFile: globalFile, overrides: overrides, environment: environment, openFileLimit: openFileLimit,
            loadTLS: loadTLS)
        let (tenants, tenantProblems) = loadTenants(
            in: global.tenantsDir, environment: environment, mutualTLS: global.clientCA != nil,
            handlersRunAsTenants: global.handlerUIDs != nil)
        let problems = globalProblems + tenantProblems
        guard !problems.contains(where: { $0.severity == .error }) else { return (nil, problems) }
        return (Configuration(global: global, tenants: tenants), problems)
    }

    /// The global file and the flags alone. Operator commands that only need `state_dir` use this,
    /// so a broken tenant file never keeps an operator from looking at the queue; they pass no
    /// `openFileLimit`, as they serve no connections.
    public static func loadGlobal(
        globalFile: String?, overrides: ConfigOverrides, environment: [String: String], openFileLimit: Int? = nil,
        loadTLS: (GlobalConfig) -> [KeyedProblem] = { _ in [] }
    ) -> (global: GlobalConfig, problems: [ConfigProblem]) {
        var global = GlobalConfig()
        var problems: [ConfigProblem] = []
        var globalLog: ProblemLog?
        if let globalFile {
            let (config, log) = GlobalFileParser.parse(file: globalFile, environment: environment)
            global = config
            globalLog = log
            problems += log.problems
        }
        problems += GlobalFileParser.apply(overrides, to: &global)
        problems += GlobalFileParser.checkTLS(global, log: globalLog, loadTLS: loadTLS)
        if let openFileLimit {
            problems += DescriptorBudget.apply(to: &global, openFileLimit: openFileLimit, log: globalLog)
        }
        return (global, sortedByPlace(problems, fileOrder: [globalFile ?? "", GlobalFileParser.commandLine]))
    }

    /// Every `*.toml` in `directory`, sorted by id. Dotfiles are skipped, as editors leave them behind.
    static func loadTenants(
        in directory: String, environment: [String: String], mutualTLS: Bool, handlersRunAsTenants: Bool
    ) -> (tenants: [Tenant], problems: [ConfigProblem]) {
        let names: [String]
        do {
            names = try FileManager.default.contentsOfDirectory(atPath: directory)
                .filter { $0.hasSuffix(".toml") && !$0.hasPrefix(".") }
                .sorted { $0.dropLast(5) < $1.dropLast(5) }  // by id: as names, "a-b.toml" < "a.toml", but "a" < "a-b"
        } catch {
            let reason = FileManager.default.fileExists(atPath: directory) ? "cannot read the tenants folder" : "no such tenants folder"
            return ([], [ConfigProblem(file: directory, line: nil, keyPath: "", message: reason)])
        }
        guard !names.isEmpty else {
            return ([], [ConfigProblem(file: directory, line: nil, keyPath: "", message: "no tenant files (*.toml) here", severity: .warning)])
        }

        let files = names.map { directory + "/" + $0 }
        let secrets = SecretResolver(environment: environment, configRoot: FilePaths.folder(of: directory))
        let parser = TenantFileParser(secrets: secrets, mutualTLS: mutualTLS, handlersRunAsTenants: handlersRunAsTenants)
        var parsedTenants: [ParsedTenant] = []
        var problems: [ConfigProblem] = []
        for file in files {
            let (parsed, log) = parser.parse(file: file)
            problems += log.problems
            if let parsed { parsedTenants.append(parsed) }
        }
        problems += TenantSetChecks.problems(in: parsedTenants)
        return (parsedTenants.map(\.tenant), sortedByPlace(problems, fileOrder: files))
    }

    /// File by file in `fileOrder`, line by line, as an operator reads them; without this the
    /// checks across files, and those that combine the file with the flags, would come out of order.
    private static func sortedByPlace(_ problems: [ConfigProblem], fileOrder: [String]) -> [ConfigProblem] {
        let rank = Dictionary(fileOrder.enumerated().map { ($1, $0) }, uniquingKeysWith: { first, _ in first })
        return problems.enumerated().sorted { a, b in
            (rank[a.element.file] ?? fileOrder.count, a.element.line ?? 0, a.offset)
                < (rank[b.element.file] ?? fileOrder.count, b.element.line ?? 0, b.offset)
        }.map(\.element)
    }
}

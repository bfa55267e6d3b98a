import Foundation

/// The one way to load the configuration, used alike by `check`, by `serve` at startup and on
/// SIGHUP, so that what `check` accepts is exactly what the service will run.
public enum ConfigLoader {
    /// globalFile nil = no global file (defaults). Problems include warnings; configuration is nil when any error exists.
    ///
    /// Loading never stops at the first problem: every file is read so that `check` can list all of them.
    /// `environment` is where `env:` references and `CREDENTIALS_DIRECTORY` are looked up.
    public static func load(
        globalFile: String?, overrides: ConfigOverrides, environment: [String: String]
    ) -> (configuration: Configuration?, problems: [ConfigProblem]) {
        var global = GlobalConfig()
        var problems: [ConfigProblem] = []
        var globalLog: ProblemLog?
        if let globalFile {
            let (config, log) = GlobalFileParser.parse(file: globalFile)
            global = config
            globalLog = log
            problems += log.problems
        }
        problems += GlobalFileParser.apply(overrides, to: &global)
        problems += GlobalFileParser.checkTLS(global, log: globalLog)

        let (tenants, tenantProblems) = loadTenants(in: global.tenantsDir, environment: environment)
        problems += tenantProblems
        guard !problems.contains(where: { $0.severity == .error }) else { return (nil, problems) }
        return (Configuration(global: global, tenants: tenants), problems)
    }

    /// Every `*.toml` in `directory`, sorted by id. Dotfiles are skipped, as editors leave them behind.
    static func loadTenants(in directory: String, environment: [String: String]) -> (tenants: [Tenant], problems: [ConfigProblem]) {
        let names: [String]
        do {
            names = try FileManager.default.contentsOfDirectory(atPath: directory)
                .filter { $0.hasSuffix(".toml") && !$0.hasPrefix(".") }
                .sorted()
        } catch {
            let reason = FileManager.default.fileExists(atPath: directory) ? "cannot read the tenants folder" : "no such tenants folder"
            return ([], [ConfigProblem(file: directory, line: nil, keyPath: "", message: reason)])
        }
        guard !names.isEmpty else {
            return ([], [ConfigProblem(file: directory, line: nil, keyPath: "", message: "no tenant files (*.toml) here", severity: .warning)])
        }

        let secrets = SecretResolver(environment: environment, configRoot: FilePaths.folder(of: directory))
        let parser = TenantFileParser(secrets: secrets)
        var parsedTenants: [ParsedTenant] = []
        var problems: [ConfigProblem] = []
        for name in names {
            let (parsed, log) = parser.parse(file: directory + "/" + name)
            problems += log.problems
            if let parsed { parsedTenants.append(parsed) }
        }
        problems += TenantSetChecks.problems(in: parsedTenants)
        return (parsedTenants.map(\.tenant), sortedByPlace(problems))
    }

    /// File by file, line by line, as an operator reads them; the checks across files come last
    /// otherwise, after all of one file's own problems.
    private static func sortedByPlace(_ problems: [ConfigProblem]) -> [ConfigProblem] {
        problems.enumerated().sorted { a, b in
            (a.element.file, a.element.line ?? 0, a.offset) < (b.element.file, b.element.line ?? 0, b.offset)
        }.map(\.element)
    }
}

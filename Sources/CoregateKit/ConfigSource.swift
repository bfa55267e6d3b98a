import CoregateTenants
import Foundation

/// Where configuration comes from: the same loader serves `check`, startup and every reload,
/// so they can never disagree about what is valid.
public struct ConfigSource: Sendable {
    public var globalFile: String?
    public var overrides: ConfigOverrides

    public init(globalFile: String?, overrides: ConfigOverrides) {
        self.globalFile = globalFile
        self.overrides = overrides
    }

    /// The default global file is used only when it exists, so a bare `coregate serve --tenants-dir` works.
    public static let defaultGlobalFile = "/etc/coregate/coregate.toml"

    public static func resolvingDefault(globalFile: String?, overrides: ConfigOverrides) -> ConfigSource {
        if let globalFile { return ConfigSource(globalFile: globalFile, overrides: overrides) }
        let fallback = FileManager.default.fileExists(atPath: defaultGlobalFile) ? defaultGlobalFile : nil
        return ConfigSource(globalFile: fallback, overrides: overrides)
    }

    public func load() -> (configuration: Configuration?, problems: [ConfigProblem]) {
        ConfigLoader.load(globalFile: globalFile, overrides: overrides, environment: ProcessInfo.processInfo.environment)
    }

    public func loadGlobal() -> (global: GlobalConfig, problems: [ConfigProblem]) {
        ConfigLoader.loadGlobal(globalFile: globalFile, overrides: overrides)
    }
}

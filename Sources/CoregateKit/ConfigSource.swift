import CoregateHTTP
import CoregateTenants
import Foundation
import NIOSSL

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

    /// The tenants and global settings, without reading the TLS files or budgeting descriptors
    /// for connections: enough to list tenants or run a handler by hand.
    public func load() -> (configuration: Configuration?, problems: [ConfigProblem]) {
        ConfigLoader.load(
            globalFile: globalFile, overrides: overrides, environment: ProcessInfo.processInfo.environment,
            openFileLimit: nil)
    }

    public func loadGlobal() -> (global: GlobalConfig, problems: [ConfigProblem]) {
        ConfigLoader.loadGlobal(globalFile: globalFile, overrides: overrides, environment: ProcessInfo.processInfo.environment)
    }

    /// Everything `serve` runs on, TLS context included; `check` loads this too, so a certificate
    /// that `serve` could not use fails `check` the same way.
    public func loadForServing() -> (serving: ServingConfiguration?, problems: [ConfigProblem]) {
        var tls: NIOSSLContext?
        let (configuration, problems) = ConfigLoader.load(
            globalFile: globalFile, overrides: overrides, environment: ProcessInfo.processInfo.environment,
            openFileLimit: OpenFileLimit.raised(), loadTLS: { global in
                guard let certificate = global.tlsCert, let key = global.tlsKey else { return [] }
                do throws(TLSFiles.Problem) {
                    tls = try TLSFiles(certificateChain: certificate, privateKey: key, clientCA: global.clientCA).makeContext()
                    return []
                } catch {
                    return [KeyedProblem(key: error.key, message: error.message)]
                }
            })
        guard let configuration else { return (nil, problems) }
        return (ServingConfiguration(configuration: configuration, tls: tls), problems)
    }
}

/// A configuration with the TLS context its certificate and key make (nil without `tls_cert`).
public struct ServingConfiguration: Sendable {
    public var configuration: Configuration
    public var tls: NIOSSLContext?
}

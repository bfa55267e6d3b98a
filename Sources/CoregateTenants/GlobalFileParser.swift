import Foundation

/// Reads the optional global file (SPEC §3, "The global file") and lays the command line over it.
///
/// Relative `tenants_dir`, `state_dir` and TLS paths in the file are relative to the file's own
/// folder, so the same file works wherever the service is started from.
enum GlobalFileParser {
    /// swift-log's levels, which the service logs with.
    enum LogLevel: String, CaseIterable {
        case trace, debug, info, notice, warning, error, critical
    }

    static let commandLine = "command line"

    /// The settings the file makes, over the defaults; values with problems keep their defaults.
    static func parse(file: String) -> (config: GlobalConfig, log: ProblemLog) {
        let folder = FilePaths.folder(of: FilePaths.absolute(file))
        var config = GlobalConfig()
        config.tenantsDir = folder + "/tenants"
        let (root, log) = TOMLFile.open(file)
        guard let root else { return (config, log) }

        if let dir = root.string("tenants_dir") { config.tenantsDir = FilePaths.absolute(dir, against: folder) }
        if let dir = root.string("state_dir") { config.stateDir = FilePaths.absolute(dir, against: folder) }
        if let listen = root.strings("listen") {
            for (address, path) in listen {
                if let problem = ListenAddress.problem(with: address) { log.error("`\(path)`: \(problem)", at: path) }
            }
            config.listen = listen.map(\.value)
        }
        if let metrics = root.string("metrics_listen") {
            if let problem = ListenAddress.problem(with: metrics) { log.error("`metrics_listen`: \(problem)", at: root.keyPath("metrics_listen")) }
            config.metricsListen = metrics
        }
        config.tlsCert = root.string("tls_cert").map { FilePaths.absolute($0, against: folder) }
        config.tlsKey = root.string("tls_key").map { FilePaths.absolute($0, against: folder) }
        config.clientCA = root.string("client_ca").map { FilePaths.absolute($0, against: folder) }
        if let networks = root.networks("trusted_proxies") { config.trustedProxies = networks }
        if let level: LogLevel = root.choice("log_level") { config.logLevel = level.rawValue }
        if let size = root.size("max_body") { config.maxBody = size }
        if let size = root.size("max_header") { config.maxHeader = size }
        if let count = root.int("concurrency", in: 1...10_000) { config.concurrency = count }
        if let count = root.int("max_connections", in: 1...1_000_000) { config.maxConnections = count }
        if let duration = root.duration("idle_timeout") { config.idleTimeout = duration }
        if let duration = root.duration("read_timeout") { config.readTimeout = duration }
        if let duration = root.duration("retention") { config.retention = duration }
        if let safe = root.bool("power_loss_safe") { config.powerLossSafe = safe }
        if let duration = root.duration("shutdown_grace") { config.shutdownGrace = duration }
        if let duration = root.duration("direct_wait") { config.directWait = duration }
        if let text = root.string("handler_uids", expected: "a uid range such as \"800000-800999\"") {
            do {
                config.handlerUIDs = try UIDRangeParser.parse(text)
            } catch {
                log.error("`handler_uids`: \(error.message)", at: root.keyPath("handler_uids"))
            }
        }
        root.reportUnknownKeys()
        root.freeDocument()
        return (config, log)
    }

    /// Applies the flags; a flag's relative path is relative to the working directory.
    static func apply(_ overrides: ConfigOverrides, to config: inout GlobalConfig) -> [ConfigProblem] {
        var problems: [ConfigProblem] = []
        func problem(_ flag: String, _ message: String) {
            problems.append(ConfigProblem(file: commandLine, line: nil, keyPath: flag, message: message))
        }
        if let dir = overrides.tenantsDir { config.tenantsDir = FilePaths.absolute(dir) }
        if let dir = overrides.stateDir { config.stateDir = FilePaths.absolute(dir) }
        if let listen = overrides.listen {
            for address in listen {
                if let message = ListenAddress.problem(with: address) { problem("--listen", message) }
            }
            config.listen = listen
        }
        if let cert = overrides.tlsCert { config.tlsCert = FilePaths.absolute(cert) }
        if let key = overrides.tlsKey { config.tlsKey = FilePaths.absolute(key) }
        if let clientCA = overrides.clientCA { config.clientCA = FilePaths.absolute(clientCA) }
        if let level = overrides.logLevel {
            if LogLevel(rawValue: level) == nil {
                let allowed = LogLevel.allCases.map(\.rawValue).joined(separator: ", ")
                problem("--log-level", "\"\(level)\" is not a log level: use one of \(allowed)")
            } else {
                config.logLevel = level
            }
        }
        return problems
    }

    /// Checks that need the file and the flags together: TLS takes a certificate and its key, and
    /// each TLS file must be readable now rather than when the listener starts. Once they are,
    /// `loadTLS` reads them as the server will, so a key that does not match its certificate is
    /// found by `check` and a reload, not by the first client.
    static func checkTLS(_ config: GlobalConfig, log: ProblemLog?, loadTLS: (GlobalConfig) -> [KeyedProblem]) -> [ConfigProblem] {
        var problems: [ConfigProblem] = []
        func problem(_ key: String, _ message: String) {
            problems.append(Self.problem(at: key, message, log: log))
        }
        if (config.tlsCert == nil) != (config.tlsKey == nil) {
            let missing = config.tlsCert == nil ? "tls_cert" : "tls_key"
            problem(config.tlsCert == nil ? "tls_key" : "tls_cert", "TLS needs both tls_cert and tls_key; \(missing) is not set")
        }
        if config.clientCA != nil && config.tlsCert == nil {
            problem("client_ca", "client_ca (mutual TLS) needs tls_cert and tls_key")
        }
        for (key, file) in [("tls_cert", config.tlsCert), ("tls_key", config.tlsKey), ("client_ca", config.clientCA)] {
            if let file, !FileManager.default.isReadableFile(atPath: file) {
                problem(key, FileManager.default.fileExists(atPath: file) ? "cannot read \(file)" : "no such file \(file)")
            }
        }
        if problems.isEmpty && config.tlsCert != nil {
            for found in loadTLS(config) { problem(found.key, found.message) }
        }
        return problems
    }

    /// A problem about a global key that a check of the whole configuration found: at the key's
    /// line when the global file sets it, else against the file, or the command line without one.
    static func problem(
        at key: String, _ message: String, log: ProblemLog?, severity: ConfigProblem.Severity = .error
    ) -> ConfigProblem {
        ConfigProblem(
            file: log?.file ?? commandLine, line: log?.locator.line(of: .root.appending(key)), keyPath: key, message: message,
            severity: severity)
    }
}

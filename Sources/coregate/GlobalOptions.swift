import ArgumentParser
import CoregateKit
import CoregateTenants
import Foundation

/// The flags every verb shares: where the configuration is, and what overrides it.
struct GlobalOptions: ParsableArguments {
    @Option(name: .long, help: "The global config file (default: \(ConfigSource.defaultGlobalFile) when it exists).")
    var config: String?

    @Option(name: .long, help: "The folder of tenant files (overrides tenants_dir).")
    var tenantsDir: String?

    @Option(name: .long, help: "The state folder (overrides state_dir).")
    var stateDir: String?

    @Option(name: .long, help: "HOST:PORT to listen on when systemd passes no sockets; repeatable (overrides listen).")
    var listen: [String] = []

    @Option(name: .long, help: "PEM certificate chain: serve HTTPS (overrides tls_cert; needs --tls-key).")
    var tlsCert: String?

    @Option(name: .long, help: "PEM private key of --tls-cert (overrides tls_key).")
    var tlsKey: String?

    @Option(name: .customLong("client-ca"), help: "PEM CA that signs client certificates, for mutual TLS (overrides client_ca).")
    var clientCA: String?

    @Option(name: .long, help: "trace, debug, info, notice, warning, error or critical (overrides log_level).")
    var logLevel: String?

    var source: ConfigSource {
        ConfigSource.resolvingDefault(
            globalFile: config,
            overrides: ConfigOverrides(
                tenantsDir: tenantsDir, stateDir: stateDir, listen: listen.isEmpty ? nil : listen,
                tlsCert: tlsCert, tlsKey: tlsKey, clientCA: clientCA, logLevel: logLevel))
    }

    /// The configuration, or its problems on stderr and exit status 1.
    func loadConfiguration() throws -> Configuration {
        let (configuration, problems) = source.load()
        guard let configuration else {
            problems.forEach { printError($0.description) }
            throw ExitCode.failure
        }
        return configuration
    }
}

/// One line on stderr.
func printError(_ line: String) {
    FileHandle.standardError.write(Data((line + "\n").utf8))
}

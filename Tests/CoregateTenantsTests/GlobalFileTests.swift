import Foundation
import Testing

@testable import CoregateTenants

/// SPEC §3, "The global file": optional, relative paths beside it, command-line flags over it.
@Suite("global file")
struct GlobalFileTests {
    @Test("every key is read, and relative folders are taken from the global file's folder")
    func allKeys() throws {
        let folder = try ConfigFolder()
        try folder.write("etc/tenants/acme.toml", "sender = \"cloud\"\n[verify]\nbearer = \"env:B\"\n")
        try folder.write("etc/tls/cert.pem", "cert")
        try folder.write("etc/tls/key.pem", "key")
        try folder.write("etc/tls/ca.pem", "ca")
        let file = try folder.write("etc/coregate.toml", """
            tenants_dir = "tenants"
            state_dir = "../state"
            listen = ["127.0.0.1:8080", "[::1]:8080"]
            tls_cert = "tls/cert.pem"
            tls_key = "tls/key.pem"
            client_ca = "tls/ca.pem"
            max_body = "1MiB"
            max_header = 8192
            concurrency = 8
            max_connections = 100
            idle_timeout = "2m"
            read_timeout = "500ms"
            metrics_listen = "127.0.0.1:9100"
            log_level = "debug"
            trusted_proxies = ["127.0.0.1", "10.0.0.0/8", "fd00::/8"]
            """)
        let (configuration, problems) = folder.load(environment: ["B": "bearer-bearer-bearer"], globalFile: file, overrides: ConfigOverrides())
        #expect(problems == [])
        let global = try #require(configuration?.global)
        #expect(global.tenantsDir == folder.root + "/etc/tenants")
        #expect(global.stateDir == folder.root + "/state")
        #expect(global.listen == ["127.0.0.1:8080", "[::1]:8080"])
        #expect(global.tlsCert == folder.root + "/etc/tls/cert.pem")
        #expect(global.tlsKey == folder.root + "/etc/tls/key.pem")
        #expect(global.clientCA == folder.root + "/etc/tls/ca.pem")
        #expect(global.maxBody == 1 << 20)
        #expect(global.maxHeader == 8192)
        #expect(global.concurrency == 8)
        #expect(global.maxConnections == 100)
        #expect(global.idleTimeout == .seconds(120))
        #expect(global.readTimeout == .milliseconds(500))
        #expect(global.metricsListen == "127.0.0.1:9100")
        #expect(global.logLevel == "debug")
        #expect(global.trustedProxies.map(\.description) == ["127.0.0.1", "10.0.0.0/8", "fd00::/8"])
        #expect(global.trustedProxies.map(\.prefixLength) == [128, 104, 8])
        #expect(configuration?.tenants.map(\.id) == ["acme"])
    }

    @Test("without tenants_dir, the tenants are in the tenants/ folder beside the global file")
    func defaultTenantsDir() throws {
        let folder = try ConfigFolder()
        try folder.tenant("acme", "sender = \"cloud\"\n[verify]\nbearer = \"env:B\"\n")
        let file = try folder.write("coregate.toml", "log_level = \"info\"\n")
        let (configuration, problems) = folder.load(environment: ["B": "bearer-bearer-bearer"], globalFile: file, overrides: ConfigOverrides())
        #expect(problems == [])
        #expect(configuration?.global.tenantsDir == folder.tenantsDir)
        #expect(configuration?.global.maxBody == 4 << 20)
    }

    @Test("power_loss_safe is on unless the file turns it off (SPEC §8)")
    func durableByDefault() throws {
        let folder = try ConfigFolder()
        try folder.tenant("acme", "sender = \"cloud\"\n[verify]\nbearer = \"env:B\"\n")
        let plain = try folder.write("plain.toml", "log_level = \"info\"\n")
        let fast = try folder.write("fast.toml", "power_loss_safe = false\n")
        let environment = ["B": "bearer-bearer-bearer"]
        #expect(folder.load(environment: environment, globalFile: plain, overrides: ConfigOverrides()).configuration?.global.powerLossSafe == true)
        #expect(folder.load(environment: environment, globalFile: fast, overrides: ConfigOverrides()).configuration?.global.powerLossSafe == false)
        #expect(folder.load(environment: environment, overrides: ConfigOverrides(tenantsDir: folder.tenantsDir)).configuration?.global.powerLossSafe == true)
    }

    @Test("handler_uids is off unless set, and read as a range of uids")
    func handlerUIDs() throws {
        let folder = try ConfigFolder()
        try folder.tenant("acme", "sender = \"cloud\"\n[verify]\nbearer = \"env:B\"\n")
        let plain = try folder.write("plain.toml", "log_level = \"info\"\n")
        let isolated = try folder.write("isolated.toml", "handler_uids = \"800000-800999\"\n")
        let environment = ["B": "bearer-bearer-bearer"]
        #expect(folder.load(environment: environment, globalFile: plain, overrides: ConfigOverrides()).configuration?.global.handlerUIDs == nil)
        #expect(
            folder.load(environment: environment, globalFile: isolated, overrides: ConfigOverrides()).configuration?.global.handlerUIDs
                == 800_000...800_999)
    }

    @Test(
        "a handler_uids that is no range, or reaches system users or nobody, is an error at its line",
        arguments: [
            ("\"800000\"", "write two numbers"), ("\"800999-800000\"", "larger than the last"),
            ("\"0-999\"", "clear of system users"), ("\"60000-70000\"", "65534 (nobody)"),
            ("\"1000-4294967295\"", "clear of system users"), ("800000", "a uid range such as"),
            ("\"-800000\"", "write two numbers"),
        ])
    func badHandlerUIDs(value: String, message: String) throws {
        let folder = try ConfigFolder()
        try folder.tenant("acme", "sender = \"cloud\"\n[verify]\nbearer = \"env:B\"\n")
        let file = try folder.write("coregate.toml", "log_level = \"info\"\nhandler_uids = \(value)\n")
        let problems = folder.load(environment: ["B": "bearer-bearer-bearer"], globalFile: file, overrides: ConfigOverrides()).problems
        #expect(problems.map(\.place) == ["coregate.toml:2"], "\(problems)")
        #expect(problems.first?.message.contains(message) == true, "\(problems)")
    }

    @Test("command-line flags override the file")
    func overrides() throws {
        let folder = try ConfigFolder()
        try folder.tenant("acme", "sender = \"cloud\"\n[verify]\nbearer = \"env:B\"\n")
        let file = try folder.write("etc/coregate.toml", """
            tenants_dir = "/nonexistent"
            state_dir = "/var/lib/elsewhere"
            listen = ["127.0.0.1:1"]
            log_level = "error"
            """)
        let overrides = ConfigOverrides(
            tenantsDir: folder.tenantsDir, stateDir: folder.root + "/state", listen: ["127.0.0.1:0"], logLevel: "trace")
        let (configuration, problems) = folder.load(environment: ["B": "bearer-bearer-bearer"], globalFile: file, overrides: overrides)
        #expect(problems == [])
        let global = try #require(configuration?.global)
        #expect(global.tenantsDir == folder.tenantsDir)
        #expect(global.stateDir == folder.root + "/state")
        #expect(global.listen == ["127.0.0.1:0"])
        #expect(global.logLevel == "trace")
    }

    @Test("mistakes in the global file are located like a tenant file's")
    func located() throws {
        let folder = try ConfigFolder()
        try folder.tenant("acme", "sender = \"cloud\"\n[verify]\nbearer = \"env:B\"\n")
        let file = try folder.write("coregate.toml", """
            max_body = "4MB"
            listen = [
              "127.0.0.1:8080",
              "::1:8080",
            ]
            log_level = "loud"
            tls_cert = "missing.pem"
            idle_timeout = 60
            workers = 4
            trusted_proxies = ["10.0.0.1/8"]
            """)
        let problems = folder.load(environment: ["B": "bearer-bearer-bearer"], globalFile: file, overrides: ConfigOverrides())
            .problems
        #expect(problems.map(\.place) == [
            "coregate.toml:1", "coregate.toml:4", "coregate.toml:6", "coregate.toml:7", "coregate.toml:7",
            "coregate.toml:8", "coregate.toml:9", "coregate.toml:10",
        ], "\(problems)")
        #expect(problems.first?.message.contains("use KiB, MiB or GiB") == true)
    }

    @Test("bad flags are reported against the command line")
    func badFlags() throws {
        let folder = try ConfigFolder()
        try folder.tenant("acme", "sender = \"cloud\"\n[verify]\nbearer = \"env:B\"\n")
        let overrides = ConfigOverrides(tenantsDir: folder.tenantsDir, listen: ["8080"], tlsCert: folder.root + "/missing.pem", logLevel: "loud")
        let problems = folder.load(environment: ["B": "bearer-bearer-bearer"], overrides: overrides).problems
        #expect(problems.map(\.description) == [
            "command line: --listen: \"8080\" is not HOST:PORT, such as 127.0.0.1:8080 or [::1]:8080",
            "command line: --log-level: \"loud\" is not a log level: use one of trace, debug, info, notice, warning, error, critical",
            "command line: tls_cert: TLS needs both tls_cert and tls_key; tls_key is not set",
            "command line: tls_cert: no such file \(folder.root)/missing.pem",
        ])
    }

    @Test("a missing global file is an error")
    func missingFile() throws {
        let folder = try ConfigFolder()
        let (configuration, problems) = folder.load(globalFile: folder.root + "/nope.toml", overrides: ConfigOverrides())
        #expect(configuration == nil)
        #expect(problems.first?.description == "\(folder.root)/nope.toml: no such file")
    }
}

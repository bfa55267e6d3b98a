import Testing

@testable import CoregateTenants

/// Issue 12, item 1: idle connections must never take the descriptors handlers and the store need.
@Suite("descriptor budget")
struct DescriptorBudgetTests {
    private func load(limit: Int, globalText: String) throws -> (configuration: Configuration?, problems: [ConfigProblem]) {
        let folder = try ConfigFolder()
        try folder.tenant("acme", "sender = \"on-premises\"\n")
        let file = try folder.write("coregate.toml", "tenants_dir = \"tenants\"\n" + globalText)
        let (configuration, problems) = folder.load(globalFile: file, overrides: ConfigOverrides(), openFileLimit: limit)
        return (configuration, problems.aboutMaxConnections)
    }

    @Test("a limit with room for max_connections leaves it alone")
    func roomy() throws {
        let (configuration, problems) = try load(limit: 65536, globalText: "max_connections = 1024\n")
        #expect(problems == [])
        #expect(configuration?.global.maxConnections == 1024)
    }

    @Test("max_connections past what the limit leaves is clamped, with a warning at its line")
    func clamped() throws {
        // 64 for the runtime and 6 for each of 16 handlers: 160 kept, 352 left of 512.
        let (configuration, problems) = try load(limit: 512, globalText: "concurrency = 16\nmax_connections = 1024\n")
        #expect(configuration?.global.maxConnections == 352)
        #expect(problems.map(\.place) == ["coregate.toml:3"])
        #expect(problems.first?.severity == .warning)
        #expect(problems.first?.message.contains("serving at most 352 connections") == true, "\(problems)")
    }

    @Test("more handlers leave fewer connections")
    func concurrencyCounts() throws {
        let (configuration, _) = try load(limit: 512, globalText: "concurrency = 32\n")
        #expect(configuration?.global.maxConnections == 512 - 64 - 6 * 32)
    }

    @Test("a limit that leaves almost nothing for connections is refused, saying how high to raise it")
    func refused() throws {
        let (configuration, problems) = try load(limit: 150, globalText: "max_connections = 10\n")
        #expect(configuration == nil)
        #expect(problems.map(\.place) == ["coregate.toml:2"])
        #expect(problems.first?.severity == .error)
        #expect(problems.first?.message.contains("raise the limit to at least 176") == true, "\(problems)")
    }

    @Test("without a global file, the problem is placed at the key on the command line")
    func defaults() throws {
        let folder = try ConfigFolder()
        try folder.tenant("acme", "sender = \"on-premises\"\n")
        let problems = folder.load(openFileLimit: 1024).problems.aboutMaxConnections
        #expect(problems.map(\.description) == [
            "command line: max_connections: warning: max_connections is 1024, but the open-file limit (RLIMIT_NOFILE, "
                + "LimitNOFILE= under systemd) is 1024, and 160 of those are kept for 16 handlers (concurrency), the store "
                + "and the runtime: serving at most 864 connections; raise the limit or lower max_connections",
        ])
    }
}

extension [ConfigProblem] {
    /// The tenant file has no `[verify]`, which is a warning of its own.
    fileprivate var aboutMaxConnections: [ConfigProblem] { filter { $0.keyPath == "max_connections" } }
}

import Foundation
import Testing

@testable import CoregateTenants

/// The examples in the repository's `tenants/` are documentation: they must load as they are, in
/// a bare environment, exactly as `coregate check` would run them.
@Suite("example tenants")
struct ExampleTenantsTests {
    /// The repository root, found from this file even when the package is built through a symlink.
    static let repositoryRoot = URL(fileURLWithPath: #filePath).resolvingSymlinksInPath()
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().path

    static func loadExamples() -> (configuration: Configuration?, problems: [ConfigProblem]) {
        ConfigLoader.load(
            globalFile: nil, overrides: ConfigOverrides(tenantsDir: repositoryRoot + "/tenants"), environment: [:])
    }

    static func secretFile(_ name: String) throws -> [UInt8] {
        Array(try String(contentsOfFile: repositoryRoot + "/tenants/secrets/" + name, encoding: .utf8)
            .trimmingCharacters(in: .newlines).utf8)
    }

    @Test("the examples load with no errors and no literal secrets, in an empty environment")
    func examplesLoad() throws {
        let (configuration, problems) = Self.loadExamples()
        #expect(problems.errors == [])
        // Not even a warning: every handler program is in handlers/ and executable.
        #expect(problems.warnings == [])
        let tenants = try #require(configuration).tenants
        #expect(tenants.map(\.id) == ["acme", "globex-cloud"])
    }

    @Test("acme is an on-premises tenant behind a path token, basic credentials and an address list")
    func acme() throws {
        let acme = try #require(Self.loadExamples().configuration?.tenants.first { $0.id == "acme" })
        #expect(acme.sender == .onPremises)
        #expect(acme.path == "/webhooks/acme")
        #expect(acme.pathToken?.value == (try Self.secretFile("acme-path-token")))
        #expect(acme.pathToken?.reference == "file:tenants/secrets/acme-path-token")
        #expect(acme.verify.basic?.user == "coreapp")
        #expect(acme.verify.basic?.password.value == (try Self.secretFile("acme-coreapp-password")))
        #expect(acme.verify.allowFrom.map(\.description) == ["127.0.0.0/8", "10.20.0.0/16", "::1", "2001:db8::/32"])
        #expect(acme.delivery == DeliveryConfig(mode: .queue, maxAttempts: 8, concurrency: 4))
        #expect(acme.handlers.map(\.name) == ["bot", "receipts", "opt-out", "contacts", "stream-echo", "stream-tally", "stream-audit"])
        #expect(acme.handlers.map(\.mode) == [.exec, .exec, .exec, .exec, .stream, .stream, .stream])
        #expect(acme.handlers[4].workers == 1 && acme.handlers[4].maxInflight == 64)
        let bot = acme.handlers[0]
        #expect(bot.command == [Self.repositoryRoot + "/handlers/echo-bot.py", "--reply"])
        #expect(bot.timeout == .seconds(10))
        // The bot prints its replies; coregate sends them through the Coreapp named in [reply].
        #expect(bot.env.isEmpty)
        #expect(acme.reply?.token.value == (try Self.secretFile("acme-coreapp-api-token")))
        #expect(acme.reply?.baseURL == "https://10.20.0.5:9090")
        #expect(acme.reply?.apiVersion == ReplyConfig.defaultAPIVersion)
        #expect(acme.handlers[1].events == ["status.*", "error"])
        #expect(acme.handlers[1].timeout == .seconds(30))
    }

    @Test("globex-cloud is a cloud tenant with an app secret, a verify token and phone number ids")
    func globex() throws {
        let globex = try #require(Self.loadExamples().configuration?.tenants.first { $0.id == "globex-cloud" })
        #expect(globex.sender == .cloud)
        #expect(globex.path == "/webhooks/globex-cloud")
        #expect(globex.pathToken == nil)
        #expect(globex.phoneNumberIDs == ["106540352242922", "106540352242923"])
        #expect(globex.verify.hmacSHA256.map(\.value) == [try Self.secretFile("globex-app-secret")])
        #expect(globex.verify.hmacHeader == "X-Hub-Signature-256")
        #expect(globex.verify.verifyToken?.value == (try Self.secretFile("globex-verify-token")))
        #expect(globex.delivery.maxAttempts == 5)
    }

    @Test("the example routes answer only with the right token")
    func exampleRoutes() throws {
        let routes = try #require(Self.loadExamples().configuration).routes
        let token = String(decoding: try Self.secretFile("acme-path-token"), as: UTF8.self)
        #expect(routes.tenants(forPath: "/webhooks/acme/\(token)").map(\.id) == ["acme"])
        #expect(routes.tenants(forPath: "/webhooks/acme").isEmpty)
        #expect(routes.tenants(forPath: "/webhooks/globex-cloud").map(\.id) == ["globex-cloud"])
    }
}

import Foundation
import Testing

@testable import CoregateTenants

/// SPEC §3: secrets are references resolved at load time; a literal loads with a warning; no
/// message ever shows a secret's value.
@Suite("secret references")
struct SecretReferenceTests {
    static func tenant(bearer: String) -> String {
        "sender = \"on-premises\"\n[verify]\nbearer = \"\(bearer)\"\n"
    }

    @Test("credential: reads $CREDENTIALS_DIRECTORY/NAME and drops one trailing newline")
    func credential() throws {
        let folder = try ConfigFolder()
        try folder.write("credentials/acme-bearer", "from-credential\n")
        try folder.tenant("acme", Self.tenant(bearer: "credential:acme-bearer"))
        let (configuration, problems) = folder.load(environment: ["CREDENTIALS_DIRECTORY": folder.root + "/credentials"])
        #expect(problems == [])
        let bearer = try #require(configuration?.tenants.first?.verify.bearer)
        #expect(bearer.value == Array("from-credential".utf8))
        #expect(bearer.reference == "credential:acme-bearer")
    }

    @Test("file: with an absolute path, and with a path relative to the folder that holds tenants/")
    func file() throws {
        let folder = try ConfigFolder()
        let absolute = try folder.write("elsewhere/absolute", "from-absolute-file\n")
        try folder.write("secrets/relative", "from-relative-file\r\n")
        try folder.tenant("acme", Self.tenant(bearer: "file:\(absolute)"))
        try folder.tenant("bravo", Self.tenant(bearer: "file:secrets/relative"))
        let (configuration, problems) = folder.load()
        #expect(problems == [])
        #expect(configuration?.tenants.map { $0.verify.bearer?.value } == [
            Array("from-absolute-file".utf8), Array("from-relative-file".utf8),
        ])
    }

    @Test("only one trailing newline is dropped, so a secret may still end in one")
    func oneNewlineOnly() throws {
        let folder = try ConfigFolder()
        try folder.write("secrets/two-newlines", "ends-in-newline\n\n")
        try folder.tenant("acme", Self.tenant(bearer: "file:secrets/two-newlines"))
        #expect(folder.load().configuration?.tenants.first?.verify.bearer?.value == Array("ends-in-newline\n".utf8))
    }

    @Test("env: reads the environment given to the loader, as it is")
    func environment() throws {
        let folder = try ConfigFolder()
        try folder.tenant("acme", Self.tenant(bearer: "env:ACME_BEARER"))
        let (configuration, problems) = folder.load(environment: ["ACME_BEARER": "from-env\n"])
        #expect(problems == [])
        #expect(configuration?.tenants.first?.verify.bearer?.value == Array("from-env\n".utf8))
    }

    @Test("a literal secret loads, with a warning at its line")
    func literal() throws {
        let folder = try ConfigFolder()
        try folder.tenant("acme", Self.tenant(bearer: "literal-bearer-value"))
        let (configuration, problems) = folder.load()
        #expect(problems.errors == [])
        #expect(problems.warnings.map(\.place) == ["acme.toml:3"])
        #expect(problems.first?.description.contains(": warning: `verify.bearer` is a literal secret") == true)
        #expect(configuration?.tenants.first?.verify.bearer?.value == Array("literal-bearer-value".utf8))
        #expect(configuration?.tenants.first?.verify.bearer?.reference == "<literal>")
    }

    @Test("a handler's env resolves references and passes other values as they are, without warnings")
    func handlerEnvironment() throws {
        let folder = try ConfigFolder()
        try folder.write("secrets/api", "api-token\n")
        try folder.tenant("acme", """
            sender = "on-premises"
            path_token = "env:TOKEN"
            [[handlers]]
            name = "bot"
            command = ["/bin/true"]
            env = { API = "file:secrets/api", URL = "https://example.test", FROM_ENV = "env:TOKEN" }
            """)
        let (configuration, problems) = folder.load(environment: ["TOKEN": "0123456789abcdef0123"])
        #expect(problems == [])
        #expect(configuration?.tenants.first?.handlers.first?.env == [
            "API": "api-token", "URL": "https://example.test", "FROM_ENV": "0123456789abcdef0123",
        ])
    }

    @Test("each unresolvable reference is an error naming the reference", arguments: [
        ("credential:acme", "CREDENTIALS_DIRECTORY is not set"),
        ("credential:../escape", "plain file name"),
        ("file:secrets/missing", "no such file"),
        ("file:", "names no file"),
        ("env:UNSET", "the environment variable UNSET is not set"),
        ("file:secrets/empty", "the secret is empty"),
        ("", "the secret is empty"),
    ])
    func unresolvable(_ reference: String, _ reason: String) throws {
        let folder = try ConfigFolder()
        try folder.write("secrets/empty", "\n")
        try folder.tenant("acme", Self.tenant(bearer: reference))
        let (configuration, problems) = folder.load()
        #expect(configuration == nil)
        #expect(problems.errors.map(\.place) == ["acme.toml:3"])
        #expect(problems.errors.first?.message.contains(reason) == true, "\(problems)")
    }

    @Test("no problem ever contains a secret's value")
    func valuesNeverShown() throws {
        // Given secrets that each cause a problem: a literal, a path token that is not URL-safe and too
        // short, two tenants on one tokened route, and a shared route with differing [verify] tables.
        let folder = try ConfigFolder()
        let values = ["LITERAL-SECRET-VALUE", "bad/token value", "SHORT", "SHARED-TOKEN-0123456789", "HMAC-ONE", "HMAC-TWO"]
        try folder.write("secrets/bad-token", values[1])
        try folder.write("secrets/short", values[2])
        try folder.write("secrets/shared", values[3] + "\n")
        try folder.tenant("acme", "sender = \"on-premises\"\n[verify]\nbearer = \"\(values[0])\"\n")
        try folder.tenant("bravo", "sender = \"on-premises\"\npath_token = \"file:secrets/bad-token\"\n")
        try folder.tenant("charlie", "sender = \"on-premises\"\npath_token = \"file:secrets/short\"\n")
        try folder.tenant("delta", "sender = \"on-premises\"\npath = \"/t\"\npath_token = \"file:secrets/shared\"\n")
        try folder.tenant("echo", "sender = \"on-premises\"\npath = \"/t\"\npath_token = \"file:secrets/shared\"\n")
        try folder.tenant("foxtrot", "sender = \"cloud\"\npath = \"/c\"\nphone_number_ids = [\"1\"]\n[verify]\nhmac_sha256 = [\"env:ONE\"]\n")
        try folder.tenant("golf", "sender = \"cloud\"\npath = \"/c\"\nphone_number_ids = [\"2\"]\n[verify]\nhmac_sha256 = [\"env:TWO\"]\n")

        // When they are loaded
        let problems = folder.load(environment: ["ONE": values[4], "TWO": values[5]]).problems

        // Then each is reported, and no report shows a value
        #expect(problems.map(\.place) == [
            "acme.toml:3", "bravo.toml:2", "charlie.toml:2", "echo.toml:2", "golf.toml:2",
        ], "\(problems)")
        for problem in problems {
            for value in values {
                #expect(!problem.description.contains(value), "\(problem) shows a secret")
            }
        }
        #expect(problems.first { $0.file.hasSuffix("echo.toml") }?.message.contains("/t/<path_token>") == true)
    }

    @Test("a secret prints as its reference, never its value")
    func secretDescription() {
        let secret = Secret(reference: "credential:acme", value: Array("hidden".utf8))
        #expect("\(secret)" == "Secret(credential:acme)")
        #expect(String(reflecting: secret) == "Secret(credential:acme)")
    }
}

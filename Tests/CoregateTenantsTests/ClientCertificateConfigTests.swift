import Foundation
import Testing

@testable import CoregateTenants

/// `[verify]` `client_cert`, `client_cert_sha256`, `client_cert_subjects`: what they mean, and each
/// mistake at the line to fix.
@Suite("client certificate keys")
struct ClientCertificateConfigTests {
    static let fingerprint = "7A:61:E6:AF:D2:90:58:A9:55:21:4F:E3:06:64:BF:D1:52:F3:67:F7:FF:C4:44:62:62:E0:72:2F:59:5E:DE:DB"

    /// A folder whose global file sets client_ca (unless `mutualTLS` is false), with one tenant.
    static func load(verify: String, mutualTLS: Bool = true) throws -> (Configuration?, [ConfigProblem]) {
        let folder = try ConfigFolder()
        try folder.tenant("acme", "sender = \"on-premises\"\n[verify]\n" + verify)
        var global = ""
        if mutualTLS {
            for name in ["cert.pem", "key.pem", "ca.pem"] { try folder.write(name, "-") }
            global = "tls_cert = \"cert.pem\"\ntls_key = \"key.pem\"\nclient_ca = \"ca.pem\"\n"
        }
        let file = try folder.write("coregate.toml", global)
        return folder.load(globalFile: file, overrides: ConfigOverrides())
    }

    @Test("client_cert = true asks for any certificate client_ca signed")
    func anySigned() throws {
        let (configuration, problems) = try Self.load(verify: "client_cert = true\n")
        #expect(problems == [])
        let rule = try #require(configuration?.tenants.first?.verify.clientCertificate)
        #expect(!rule.pinsCertificates)
    }

    @Test("no key, or client_cert = false alone, asks for nothing")
    func notAsked() throws {
        for verify in ["allow_from = [\"10.0.0.0/8\"]\n", "client_cert = false\n"] {
            let (configuration, problems) = try Self.load(verify: verify)
            #expect(problems.errors == [])
            #expect(configuration != nil && configuration?.tenants.first?.verify.clientCertificate == nil)
        }
    }

    @Test("fingerprints are read with or without colons, in either case, and imply client_cert")
    func fingerprints() throws {
        let bare = Self.fingerprint.replacingOccurrences(of: ":", with: "").lowercased()
        let (configuration, problems) = try Self.load(verify: "client_cert_sha256 = [\"\(Self.fingerprint)\", \"\(bare)\"]\n")
        #expect(problems == [])
        let rule = try #require(configuration?.tenants.first?.verify.clientCertificate)
        #expect(rule.sha256Fingerprints.count == 2)
        #expect(rule.sha256Fingerprints[0] == rule.sha256Fingerprints[1])
        #expect(rule.sha256Fingerprints[0].prefix(3) == [0x7A, 0x61, 0xE6])
    }

    @Test("a subject is read as attributes, spacing ignored, escapes undone")
    func subjects() throws {
        let (configuration, problems) = try Self.load(
            verify: #"client_cert_subjects = ["CN=coreapp-1,O=ACME", " cn = coreapp\\2C 2 , o=ACME\\, Inc.\\ "]"# + "\n")
        #expect(problems == [])
        let subjects = try #require(configuration?.tenants.first?.verify.clientCertificate?.subjects)
        #expect(subjects[0].attributes == [.init(type: "CN", value: "coreapp-1"), .init(type: "O", value: "ACME")])
        #expect(subjects[1].attributes == [.init(type: "CN", value: "coreapp, 2"), .init(type: "O", value: "ACME, Inc. ")])
        #expect(subjects[1].description == #"CN=coreapp\, 2,O=ACME\, Inc.\ "#)
    }

    struct Mistake: CustomTestStringConvertible, Sendable {
        var testDescription: String
        var verify: String
        var mutualTLS = true
        var line: Int
        var fragment: String
    }

    @Test("each mistake is an error at its line", arguments: [
        Mistake(testDescription: "not a boolean", verify: "client_cert = \"yes\"\n", line: 3, fragment: "must be true or false"),
        Mistake(testDescription: "short fingerprint", verify: "client_cert_sha256 = [\"7A:61\"]\n", line: 3,
                fragment: "is not a SHA-256 fingerprint"),
        Mistake(testDescription: "a fingerprint in the second place",
                verify: "client_cert_sha256 = [\n  \"\(fingerprint)\",\n  \"zz\",\n]\n", line: 5, fragment: "client_cert_sha256[1]"),
        Mistake(testDescription: "empty pin list", verify: "client_cert_subjects = []\n", line: 3, fragment: "is empty"),
        Mistake(testDescription: "unknown attribute", verify: "client_cert_subjects = [\"CN=a,DC=example\"]\n", line: 3,
                fragment: "unknown attribute type \"DC\""),
        Mistake(testDescription: "multi-valued part", verify: "client_cert_subjects = [\"CN=a+O=b\"]\n", line: 3,
                fragment: "multi-valued"),
        Mistake(testDescription: "quoted value", verify: "client_cert_subjects = ['CN=\"a\"']\n", line: 3, fragment: "quoted"),
        Mistake(testDescription: "trailing comma", verify: "client_cert_subjects = [\"CN=a,\"]\n", line: 3,
                fragment: "expected an attribute"),
        Mistake(testDescription: "empty value", verify: "client_cert_subjects = [\"CN= \"]\n", line: 3, fragment: "empty value"),
        Mistake(testDescription: "false beside pins", verify: "bearer = \"x-literal-bearer-token\"\nclient_cert = false\nclient_cert_sha256 = [\"\(fingerprint)\"]\n",
                line: 4, fragment: "is false, but the tenant pins"),
        Mistake(testDescription: "no client_ca in the global config", verify: "\nclient_cert_subjects = [\"CN=a\"]\n",
                mutualTLS: false, line: 4, fragment: "needs mutual TLS"),
    ])
    func mistakes(_ mistake: Mistake) throws {
        let (configuration, problems) = try Self.load(verify: mistake.verify, mutualTLS: mistake.mutualTLS)
        #expect(configuration == nil)
        let error = try #require(problems.errors.first)
        #expect(problems.errors.count == 1, "\(problems)")
        #expect(error.place == "acme.toml:\(mistake.line)")
        #expect(error.message.contains(mistake.fragment), "\(error.message)")
    }

    @Test("the first pin key present is where a missing client_ca is reported")
    func missingCAAtPinKey() throws {
        let (_, problems) = try Self.load(verify: "client_cert_sha256 = [\"\(Self.fingerprint)\"]\n", mutualTLS: false)
        #expect(problems.errors.map(\.place) == ["acme.toml:3"])
        #expect(problems.errors.first?.keyPath == "verify.client_cert_sha256")
    }

    @Test("client_cert counts as verification: no 'no verification' warning")
    func countsAsVerification() throws {
        let (_, problems) = try Self.load(verify: "client_cert = true\n")
        #expect(problems.warnings == [])
    }

    @Test("a TLS loader's problem is placed at the global key's line")
    func tlsLoaderProblemIsLocated() throws {
        let folder = try ConfigFolder()
        try folder.tenant("acme", "sender = \"on-premises\"\n[verify]\nclient_cert = true\n")
        for name in ["cert.pem", "key.pem", "ca.pem"] { try folder.write(name, "-") }
        let file = try folder.write(
            "coregate.toml", "log_level = \"info\"\ntls_cert = \"cert.pem\"\n\ntls_key = \"key.pem\"\nclient_ca = \"ca.pem\"\n")
        var seen: GlobalConfig?
        let (configuration, problems) = ConfigLoader.load(
            globalFile: file, overrides: ConfigOverrides(), environment: [:],
            loadTLS: { global in
                seen = global
                return [KeyedProblem(key: "tls_key", message: "does not fit")]
            })
        #expect(configuration == nil)
        #expect(problems.map(\.description) == ["\(file):4: does not fit"])
        #expect(seen?.clientCA == folder.root + "/ca.pem")
    }

    @Test("the TLS loader is not asked when a TLS file is already missing")
    func tlsLoaderNotAskedForMissingFiles() throws {
        let folder = try ConfigFolder()
        try folder.tenant("acme", "sender = \"on-premises\"\n")
        var asked = false
        let (_, problems) = ConfigLoader.load(
            globalFile: nil,
            overrides: ConfigOverrides(tenantsDir: folder.tenantsDir, tlsCert: folder.root + "/none.pem", tlsKey: folder.root + "/none.key"),
            environment: [:],
            loadTLS: { _ in
                asked = true
                return []
            })
        #expect(!asked)
        #expect(problems.errors.count == 2)
    }
}

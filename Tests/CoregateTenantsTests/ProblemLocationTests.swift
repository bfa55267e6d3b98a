import Foundation
import Testing

@testable import CoregateTenants

/// Every kind of mistake is reported at the `FILE:LINE` an operator has to fix, and loading goes
/// on so that one run of `check` lists them all.
@Suite("problems are located")
struct ProblemLocationTests {
    /// A valid tenant to start from; each case below breaks one thing. Line numbers matter.
    static let valid = """
        sender = "on-premises"
        path = "/webhooks/acme"

        [verify]
        bearer = "env:BEARER"

        [delivery]
        max_attempts = 3

        [[handlers]]
        name = "bot"
        command = ["/bin/true"]
        timeout = "10s"

        [[handlers]]
        name = "receipts"
        command = ["/bin/true"]
        """

    static let environment = ["BEARER": "a-bearer-token-long-enough"]

    struct Case: CustomTestStringConvertible, Sendable {
        var testDescription: String
        var replacing: String
        var with: String
        /// `acme.toml:LINE`, or `acme.toml` where no line can be known.
        var place: String
        var keyPath: String
        var messageFragment: String
    }

    static let cases: [Case] = [
        Case(testDescription: "unknown top-level key", replacing: "path = \"/webhooks/acme\"",
             with: "path = \"/webhooks/acme\"\nverfy = true", place: "acme.toml:3", keyPath: "verfy", messageFragment: "unknown key `verfy`"),
        Case(testDescription: "unknown key in a table", replacing: "bearer = \"env:BEARER\"",
             with: "bearer = \"env:BEARER\"\nhmac_sha265 = []", place: "acme.toml:6", keyPath: "verify.hmac_sha265",
             messageFragment: "unknown key `verify.hmac_sha265`"),
        Case(testDescription: "unknown key in an inline table", replacing: "bearer = \"env:BEARER\"",
             with: "basic = { user = \"coreapp\", password = \"env:BEARER\", realm = \"x\" }", place: "acme.toml:5",
             keyPath: "verify.basic.realm", messageFragment: "unknown key `verify.basic.realm` (known here: password, user)"),
        Case(testDescription: "unknown key in the second handler", replacing: "name = \"receipts\"",
             with: "name = \"receipts\"\ntimout = \"5s\"", place: "acme.toml:17", keyPath: "handlers[1].timout",
             messageFragment: "unknown key `handlers[1].timout`"),
        Case(testDescription: "wrong type", replacing: "max_attempts = 3", with: "max_attempts = \"3\"",
             place: "acme.toml:8", keyPath: "delivery.max_attempts", messageFragment: "must be an integer, not a string"),
        Case(testDescription: "wrong type in an array element on its own line", replacing: "command = [\"/bin/true\"]\ntimeout",
             with: "command = [\n  \"/bin/true\",\n  42,\n]\ntimeout", place: "acme.toml:14", keyPath: "handlers[0].command[1]",
             messageFragment: "must be a string, not an integer"),
        Case(testDescription: "a table where a value belongs", replacing: "sender = \"on-premises\"",
             with: "sender = \"on-premises\"\n[path]\nx = 1", place: "acme.toml:2", keyPath: "path",
             messageFragment: "must be a string, not a table"),
        Case(testDescription: "bad duration", replacing: "timeout = \"10s\"", with: "timeout = \"10 seconds\"",
             place: "acme.toml:13", keyPath: "handlers[0].timeout", messageFragment: "bad duration \"10 seconds\""),
        Case(testDescription: "duration written as a number", replacing: "timeout = \"10s\"", with: "timeout = 10",
             place: "acme.toml:13", keyPath: "handlers[0].timeout", messageFragment: "must be a duration such as \"10s\", not an integer"),
        Case(testDescription: "number out of range", replacing: "max_attempts = 3", with: "max_attempts = 0",
             place: "acme.toml:8", keyPath: "delivery.max_attempts", messageFragment: "must be from 1 to 100"),
        Case(testDescription: "bad enum value", replacing: "sender = \"on-premises\"", with: "sender = \"premises\"",
             place: "acme.toml:1", keyPath: "sender", messageFragment: "must be \"on-premises\" or \"cloud\", not \"premises\""),
        Case(testDescription: "bad delivery mode", replacing: "max_attempts = 3", with: "mode = \"later\"",
             place: "acme.toml:8", keyPath: "delivery.mode", messageFragment: "must be \"queue\" or \"direct\""),
        Case(testDescription: "missing sender", replacing: "sender = \"on-premises\"", with: "",
             place: "acme.toml", keyPath: "sender", messageFragment: "missing required key `sender`"),
        Case(testDescription: "handler without a name", replacing: "name = \"bot\"", with: "",
             place: "acme.toml:10", keyPath: "handlers[0].name", messageFragment: "missing required key `handlers[0].name`"),
        Case(testDescription: "handler without a command", replacing: "command = [\"/bin/true\"]\ntimeout", with: "timeout",
             place: "acme.toml:10", keyPath: "handlers[0].command", messageFragment: "missing required key `handlers[0].command`"),
        Case(testDescription: "empty command", replacing: "command = [\"/bin/true\"]\ntimeout", with: "command = []\ntimeout",
             place: "acme.toml:12", keyPath: "handlers[0].command", messageFragment: "must start with the program"),
        Case(testDescription: "duplicate handler names", replacing: "name = \"receipts\"", with: "name = \"bot\"",
             place: "acme.toml:16", keyPath: "handlers[1].name", messageFragment: "already defined at line 11"),
        Case(testDescription: "bad handler name", replacing: "name = \"bot\"", with: "name = \"Bot!\"",
             place: "acme.toml:11", keyPath: "handlers[0].name", messageFragment: "not a valid handler name"),
        Case(testDescription: "reserved handler variable", replacing: "timeout = \"10s\"",
             with: "timeout = \"10s\"\nenv = { COREGATE_TENANT = \"other\" }", place: "acme.toml:14",
             keyPath: "handlers[0].env.COREGATE_TENANT", messageFragment: "is set by coregate itself"),
        Case(testDescription: "unresolvable secret reference", replacing: "bearer = \"env:BEARER\"", with: "bearer = \"env:NOT_SET\"",
             place: "acme.toml:5", keyPath: "verify.bearer", messageFragment: "the environment variable NOT_SET is not set"),
        Case(testDescription: "unresolvable secret in an HMAC list", replacing: "bearer = \"env:BEARER\"",
             with: "hmac_sha256 = [\n  \"env:BEARER\",\n  \"credential:app-secret\",\n]", place: "acme.toml:7",
             keyPath: "verify.hmac_sha256[1]", messageFragment: "CREDENTIALS_DIRECTORY is not set"),
        Case(testDescription: "unresolvable secret in handler env", replacing: "timeout = \"10s\"",
             with: "timeout = \"10s\"\nenv = { TOKEN = \"file:secrets/missing\" }", place: "acme.toml:14",
             keyPath: "handlers[0].env.TOKEN", messageFragment: "no such file"),
        Case(testDescription: "bad CIDR", replacing: "bearer = \"env:BEARER\"", with: "allow_from = [\"10.0.0.0/8\", \"10.0.0.300/32\"]",
             place: "acme.toml:5", keyPath: "verify.allow_from[1]", messageFragment: "\"10.0.0.300/32\" is not an IPv4 or IPv6 address"),
        Case(testDescription: "CIDR with host bits", replacing: "bearer = \"env:BEARER\"", with: "allow_from = [\"10.20.1.0/16\"]",
             place: "acme.toml:5", keyPath: "verify.allow_from[0]", messageFragment: "did you mean 10.20.0.0/16?"),
        Case(testDescription: "path without a leading slash", replacing: "path = \"/webhooks/acme\"", with: "path = \"webhooks/acme\"",
             place: "acme.toml:2", keyPath: "path", messageFragment: "must start with /"),
        Case(testDescription: "bad phone number id", replacing: "path = \"/webhooks/acme\"",
             with: "path = \"/webhooks/acme\"\nphone_number_ids = [\"1065\", \"+1065\"]", place: "acme.toml:3",
             keyPath: "phone_number_ids[1]", messageFragment: "not a phone number id"),
        Case(testDescription: "TOML syntax error", replacing: "max_attempts = 3", with: "max_attempts = = 3",
             place: "acme.toml:8", keyPath: "", messageFragment: "TOML syntax error"),
        Case(testDescription: "key defined twice", replacing: "max_attempts = 3", with: "max_attempts = 3\nmax_attempts = 4",
             place: "acme.toml:9", keyPath: "", messageFragment: "TOML syntax error"),
    ]

    @Test("each kind of mistake is reported as FILE:LINE with its key", arguments: cases)
    func located(_ testCase: Case) throws {
        // Given a tenant file with one mistake
        let folder = try ConfigFolder()
        let broken = Self.valid.replacingOccurrences(of: testCase.replacing, with: testCase.with)
        try #require(broken != Self.valid)
        let file = try folder.tenant("acme", broken)

        // When it is loaded
        let (configuration, problems) = folder.load(environment: Self.environment)

        // Then that mistake, and only it, is reported where it is
        #expect(configuration == nil)
        let errors = problems.errors
        #expect(errors.map(\.place) == [testCase.place], "\(errors)")
        #expect(errors.map(\.keyPath) == [testCase.keyPath])
        #expect(errors.first?.message.contains(testCase.messageFragment) == true, "\(errors)")
        #expect(errors.first?.file == file)
        if let line = errors.first?.line {
            #expect(errors.first?.description.hasPrefix("\(file):\(line): ") == true)
        }
    }

    @Test("the valid base file loads, so each case above fails for its own mistake only")
    func baseIsValid() throws {
        let folder = try ConfigFolder()
        try folder.tenant("acme", Self.valid)
        let (configuration, problems) = folder.load(environment: Self.environment)
        #expect(problems == [])
        #expect(configuration?.tenants.map(\.id) == ["acme"])
    }

    @Test("every mistake in a file is listed, not only the first")
    func allProblemsListed() throws {
        let folder = try ConfigFolder()
        try folder.tenant("acme", """
            sender = "nobody"
            path = "nope"
            [delivery]
            mode = "later"
            max_attempts = 0
            [[handlers]]
            timeout = "soon"
            """)
        try folder.tenant("globex", "sender = \"cloud\"\ncolour = \"blue\"\n")
        let errors = folder.load().problems.errors
        #expect(errors.map(\.place) == [
            "acme.toml:1", "acme.toml:2", "acme.toml:4", "acme.toml:5", "acme.toml:6", "acme.toml:6", "acme.toml:7",
            "globex.toml:2",
        ], "\(errors)")
    }

    @Test("a file name that is not a tenant id is an error about the whole file", arguments: ["Acme.toml", "-acme.toml", "ac me.toml"])
    func badTenantID(_ name: String) throws {
        let folder = try ConfigFolder()
        let file = try folder.write("tenants/\(name)", "sender = \"cloud\"\n")
        let errors = folder.load().problems.errors
        #expect(errors.map(\.file) == [file])
        #expect(errors.map(\.line) == [nil])
        #expect(errors.first?.message.contains("not valid") == true)
        #expect(errors.first?.description == "\(file): \(errors.first?.message ?? "")")
    }

    @Test("two tenants on one route are an error naming both files")
    func duplicateRoute() throws {
        let folder = try ConfigFolder()
        let first = try folder.tenant("acme", "sender = \"on-premises\"\npath = \"/hooks/shared\"\n")
        let second = try folder.tenant("bravo", "sender = \"on-premises\"\ndescription = \"b\"\npath = \"/hooks/shared\"\n")
        let errors = folder.load().problems.errors
        #expect(errors.map(\.place) == ["bravo.toml:3"])
        #expect(errors.first?.file == second)
        #expect(errors.first?.message.contains(first) == true)
    }

    @Test("tenants come sorted by id, and problems in the same order, file by file")
    func sortedByID() throws {
        let folder = try ConfigFolder()
        for id in ["a-b", "a", "b", "a_c"] {
            try folder.tenant(id, "sender = \"on-premises\"\n[verify]\nbearer = \"literal-bearer-\(id)\"\n")
        }
        let (configuration, problems) = folder.load()
        #expect(configuration?.tenants.map(\.id) == ["a", "a-b", "a_c", "b"])
        #expect(problems.map(\.place) == ["a.toml:3", "a-b.toml:3", "a_c.toml:3", "b.toml:3"])
    }

    @Test("a default route taken by another tenant's path is a duplicate route")
    func defaultRouteCollision() throws {
        let folder = try ConfigFolder()
        try folder.tenant("acme", "sender = \"on-premises\"\n")
        try folder.tenant("bravo", "sender = \"on-premises\"\npath = \"/webhooks/acme\"\n")
        #expect(folder.load().problems.errors.map(\.place) == ["bravo.toml:2"])
    }

    @Test("cloud tenants may not share a route when one lacks phone_number_ids, or their [verify] or delivery mode differs",
          arguments: [
            ("phone_number_ids = [\"2\"]\n[verify]\nbearer = \"env:OTHER\"\n", "identical [verify]"),
            ("phone_number_ids = [\"2\"]\n[verify]\nbearer = \"env:B\"\n[delivery]\nmode = \"direct\"\n",
             "same [delivery] mode (queue there, direct here)"),
            ("[verify]\nbearer = \"env:B\"\n", "must each list phone_number_ids"),
          ])
    func cloudShareRefused(_ secondBody: String, _ reason: String) throws {
        let folder = try ConfigFolder()
        try folder.tenant("acme", "sender = \"cloud\"\npath = \"/cloud\"\nphone_number_ids = [\"1\"]\n[verify]\nbearer = \"env:B\"\n")
        try folder.tenant("bravo", "sender = \"cloud\"\npath = \"/cloud\"\n" + secondBody)
        let errors = folder.load(environment: ["B": "bearer-b-bearer-b", "OTHER": "other-bearer"]).problems.errors
        #expect(errors.map(\.place) == ["bravo.toml:2"])
        #expect(errors.first?.message.contains(reason) == true, "\(errors)")
        #expect(errors.first?.message.contains("acme.toml") == true)
    }

    @Test("an on-premises tenant never shares a route, even with identical settings")
    func onPremisesShareRefused() throws {
        let folder = try ConfigFolder()
        let body = "sender = \"on-premises\"\npath = \"/shared\"\nphone_number_ids = [\"1\"]\n"
        try folder.tenant("acme", body)
        try folder.tenant("bravo", body.replacingOccurrences(of: "\"1\"", with: "\"2\""))
        let errors = folder.load().problems.errors
        #expect(errors.map(\.place) == ["bravo.toml:2"])
        #expect(errors.first?.message.contains("only cloud tenants") == true)
    }

    @Test("a phone number id claimed by two tenants is an error at the second claim, naming the first")
    func duplicatePhoneNumber() throws {
        let folder = try ConfigFolder()
        let first = try folder.tenant("acme", "sender = \"cloud\"\nphone_number_ids = [\"111\"]\n")
        try folder.tenant("bravo", "sender = \"cloud\"\nphone_number_ids = [\n  \"222\",\n  \"111\",\n]\n")
        let errors = folder.load().problems.errors
        #expect(errors.map(\.place) == ["bravo.toml:4"])
        #expect(errors.map(\.keyPath) == ["phone_number_ids[1]"])
        #expect(errors.first?.message.contains(first) == true)
    }

    @Test("a missing tenants folder is an error naming the folder")
    func missingTenantsFolder() {
        let (configuration, problems) = ConfigLoader.load(
            globalFile: nil, overrides: ConfigOverrides(tenantsDir: "/nonexistent/coregate/tenants"), environment: [:])
        #expect(configuration == nil)
        #expect(problems.map(\.description) == ["/nonexistent/coregate/tenants: no such tenants folder"])
    }
}

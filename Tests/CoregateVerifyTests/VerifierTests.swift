import CoregateTenants
import CoregateVerify
import Testing

@Suite("verifier: all checks together")
struct VerifierTests {
    static let secrets = ["s3cr:et pass", "tok-3f9a", "hmac-key-new", "hmac-key-old", "verify-me"]
    static let body = #"{"contacts":[],"messages":[]}"#
    /// HMAC-SHA256 of `body` keyed by "hmac-key-new", computed with Python's hmac module.
    static let mac = "677b522b5aa2eefee1c610ac773886ecc7a915c43ae3929610f0c46f27a3eec8"

    let verifier: Verifier

    init() throws {
        verifier = Verifier(config: VerifyConfig(
            hmacSHA256: [secret("hmac-key-new"), secret("hmac-key-old")],
            basic: BasicCredentials(user: "coreapp", password: secret("s3cr:et pass")),
            bearer: secret("tok-3f9a"),
            allowFrom: [try cidr("10.20.0.0/16")],
            verifyToken: secret("verify-me")
        ))
    }

    /// A request that passes every check, with `change` applied.
    func request(_ change: (inout VerificationInput) -> Void = { _ in }) throws -> VerificationInput {
        var input = try CoregateVerifyTests.request(from: "10.20.0.5", headers: [
            ("Authorization", "Basic Y29yZWFwcDpzM2NyOmV0IHBhc3M="),
            ("Authorization", "Bearer tok-3f9a"),
            ("X-Hub-Signature-256", "sha256=" + Self.mac),
        ], body: Self.body)
        change(&input)
        return input
    }

    @Test("a tenant with no checks accepts any request, even one whose source is unknown")
    func noChecks() throws {
        let input = try CoregateVerifyTests.request(from: nil, headers: [("X-Custom", "1")], body: "raw")
        let verifier = Verifier(config: VerifyConfig())
        #expect(verifier.verify(input).rejection == nil)
        #expect(try verifier.verifyHead(input).get().clientAddress == nil)
    }

    @Test("a request that passes every configured check is accepted")
    func allPass() throws {
        #expect(verifier.verify(try request()).rejection == nil)
        #expect(try verifier.verifyHead(try request()).get().clientAddress == (try address("10.20.0.5")))
    }

    @Test("each failing check is named, the source before any credential", arguments: [
        ("wrong source, everything else wrong too", Rejection.Reason.source),
        ("wrong Basic", .basic),
        ("wrong bearer", .bearer),
        ("wrong signature", .signature),
    ])
    func eachCheckFails(situation: String, reason: Rejection.Reason) throws {
        let input = try request { input in
            switch reason {
            case .source:
                input.peerAddress = CIDR.addressBytes("203.0.113.9")
                input.headers = []
            case .basic: input.headers[0].value = "Basic Y29yZWFwcDp3cm9uZw=="
            case .bearer: input.headers[1].value = "Bearer tok-3f9b"
            case .signature: input.body.append(UInt8(ascii: " "))
            default: Issue.record("no situation for \(reason)")
            }
        }
        #expect(verifier.verify(input).rejection == Rejection(reason), "\(situation)")
    }

    @Test("a source not allowed is 403, every other failure 401", arguments: Rejection.Reason.allCases)
    func statuses(reason: Rejection.Reason) {
        #expect(Rejection(reason).status == (reason == .source ? 403 : 401))
    }

    @Test("no rejection's description holds a secret")
    func noSecretInRejections() throws {
        var rejections: [Rejection] = []
        for change: (inout VerificationInput) -> Void in [
            { $0.peerAddress = CIDR.addressBytes("203.0.113.9") },
            { $0.headers[0].value = "Basic Y29yZWFwcDp3cm9uZw==" },
            { $0.headers[1].value = "Bearer tok-3f9" },
            { $0.headers[2].value = "sha256=00" },
        ] {
            rejections.append(try #require(verifier.verify(try request(change)).rejection))
        }
        for query in ["hub.mode=subscribe&hub.verify_token=verify-m&hub.challenge=1", "hub.mode=x"] {
            guard case .rejected(let rejection) = verifier.answerHandshake(try request { $0.query = query }) else {
                Issue.record("\(query) was not rejected")
                continue
            }
            rejections.append(rejection)
        }
        #expect(Set(rejections.map(\.reason)).count == 6)
        for rejection in rejections {
            for text in [String(describing: rejection), String(reflecting: rejection), "\(rejection.reason)"] {
                for secret in Self.secrets {
                    #expect(!text.contains(secret), "\(rejection.reason) describes itself with a secret")
                }
            }
        }
    }
}

import Foundation
import CoregateTenants
import CoregateVerify
import Testing

/// Vectors computed outside Swift, as the shared fixture signer does:
/// `hmac.new(secret, body, hashlib.sha256).hexdigest()`.
private enum Vector {
    /// RFC 4231, test case 2.
    static let rfcKey = "Jefe"
    static let rfcBody = "what do ya want for nothing?"
    static let rfcMAC = "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"

    /// A Cloud-shaped body with a `\u` escape, as Meta signs it.
    static let body = #"{"object":"whatsapp_business_account","entry":[{"id":"0","changes":[]}],"note":"caf\u00e9"}"#
    static let newSecret = "test-app-secret-not-real"
    static let newMAC = "6258a762d5836c7160d377af4ed54cc15e829683a92d776ca3f1b70ac3e9e19d"
    static let oldSecret = "test-app-secret-old"
    static let oldMAC = "ecc20f308f2a5b6e3fb6c687b324ce7c277f108d8e50507b8d1412ad667290ac"
}

@Suite("HMAC-SHA256 signature")
struct SignatureCheckTests {
    let verifier = Verifier(config: VerifyConfig(hmacSHA256: [secret(Vector.newSecret)]))

    @Test("the RFC 4231 vector verifies")
    func rfcVector() throws {
        let verifier = Verifier(config: VerifyConfig(hmacSHA256: [secret(Vector.rfcKey)]))
        let input = try request(headers: [("X-Hub-Signature-256", "sha256=" + Vector.rfcMAC)], body: Vector.rfcBody)
        #expect(verifier.verify(input).rejection == nil)
    }

    @Test("a Cloud API signature over the raw body is accepted in any of its spellings", arguments: [
        ("X-Hub-Signature-256", "sha256=" + Vector.newMAC),
        ("x-hub-signature-256", "sha256=" + Vector.newMAC),
        ("X-Hub-Signature-256", "sha256=" + Vector.newMAC.uppercased()),
        ("X-Hub-Signature-256", "SHA256=" + Vector.newMAC),
        ("X-Hub-Signature-256", "  sha256=\(Vector.newMAC) "),
        ("X-Hub-Signature-256", Vector.newMAC),
    ])
    func acceptedSpellings(name: String, value: String) throws {
        let input = try request(headers: [(name, value)], body: Vector.body)
        #expect(verifier.verify(input).rejection == nil)
    }

    @Test("a missing, garbled or wrong signature is a 401", arguments: [
        [],
        [("X-Hub-Signature-256", "")],
        [("X-Hub-Signature-256", "sha256=")],
        [("X-Hub-Signature-256", "sha256=" + Vector.newMAC.dropLast())],
        [("X-Hub-Signature-256", "sha256=" + Vector.newMAC + "00")],
        [("X-Hub-Signature-256", "sha256=" + Vector.newMAC.dropLast() + "g")],
        [("X-Hub-Signature-256", "sha1=" + Vector.newMAC)],
        [("X-Hub-Signature-256", "sha256=" + Vector.rfcMAC)],
        [("X-Hub-Signature", "sha256=" + Vector.newMAC)],
    ] as [[(String, String)]])
    func rejectedSignatures(headers: [(String, String)]) throws {
        let input = try request(headers: headers.map { (name: $0.0, value: $0.1) }, body: Vector.body)
        let rejection = try #require(verifier.verify(input).rejection)
        #expect(rejection == Rejection(.signature))
        #expect(rejection.status == 401)
    }

    @Test("a body changed by one byte no longer verifies")
    func tamperedBody() throws {
        let tampered = Vector.body.replacingOccurrences(of: "\"0\"", with: "\"1\"")
        #expect(tampered != Vector.body)
        let input = try request(headers: [("X-Hub-Signature-256", "sha256=" + Vector.newMAC)], body: tampered)
        #expect(verifier.verify(input).rejection == Rejection(.signature))
    }

    @Test("during a rotation the old and new secrets are both accepted, a third is not", arguments: [
        (Vector.newMAC, true),
        (Vector.oldMAC, true),
        (Vector.rfcMAC, false),
    ])
    func rotation(mac: String, accepted: Bool) throws {
        let verifier = Verifier(config: VerifyConfig(hmacSHA256: [secret(Vector.newSecret), secret(Vector.oldSecret)]))
        let input = try request(headers: [("X-Hub-Signature-256", "sha256=" + mac)], body: Vector.body)
        #expect((verifier.verify(input).rejection == nil) == accepted)
    }

    @Test("a tenant's own header name is where the signature is looked for")
    func customHeader() throws {
        let verifier = Verifier(config: VerifyConfig(hmacSHA256: [secret(Vector.newSecret)], hmacHeader: "X-Signature"))
        let inOwnHeader = try request(headers: [("x-signature", "sha256=" + Vector.newMAC)], body: Vector.body)
        let inDefaultHeader = try request(headers: [("X-Hub-Signature-256", "sha256=" + Vector.newMAC)], body: Vector.body)
        #expect(verifier.verify(inOwnHeader).rejection == nil)
        #expect(verifier.verify(inDefaultHeader).rejection == Rejection(.signature))
    }
}

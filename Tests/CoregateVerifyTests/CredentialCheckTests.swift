import Foundation
import CoregateTenants
import CoregateVerify
import Testing

@Suite("HTTP Basic and bearer credentials")
struct CredentialCheckTests {
    /// base64("coreapp:s3cr:et pass"): a password may hold a colon and a space.
    static let rightBasic = "Y29yZWFwcDpzM2NyOmV0IHBhc3M="
    let basicVerifier = Verifier(config: VerifyConfig(basic: BasicCredentials(user: "coreapp", password: secret("s3cr:et pass"))))
    let bearerVerifier = Verifier(config: VerifyConfig(bearer: secret("tok-3f9a")))

    @Test("the right Basic credentials are accepted, whatever the scheme's case", arguments: ["Basic", "basic", "BASIC"])
    func basicAccepted(scheme: String) throws {
        let input = try request(headers: [("Authorization", "\(scheme) \(Self.rightBasic)")])
        #expect(basicVerifier.verify(input).rejection == nil)
    }

    @Test("wrong or malformed Basic credentials are a 401", arguments: [
        nil,
        "Basic " + "coreapp:s3cr:et pas".base64,
        "Basic " + "coreapp:s3cr:et passX".base64,
        "Basic " + "coreap:s3cr:et pass".base64,
        "Basic " + "Coreapp:s3cr:et pass".base64,
        "Basic " + ":s3cr:et pass".base64,
        "Basic " + "coreapps3cr".base64,
        "Basic not-base64!",
        "Basic",
        "Bearer " + CredentialCheckTests.rightBasic,
        CredentialCheckTests.rightBasic,
    ] as [String?])
    func basicRejected(header: String?) throws {
        let input = try request(headers: header.map { [("Authorization", $0)] } ?? [])
        let rejection = try #require(basicVerifier.verify(input).rejection)
        #expect(rejection == Rejection(.basic))
        #expect(rejection.status == 401)
    }

    @Test("the right bearer token is accepted, whatever the scheme's case", arguments: ["Bearer tok-3f9a", "bearer tok-3f9a", "Bearer  tok-3f9a "])
    func bearerAccepted(header: String) throws {
        let input = try request(headers: [("authorization", header)])
        #expect(bearerVerifier.verify(input).rejection == nil)
    }

    @Test("a wrong or missing bearer token is a 401", arguments: [
        nil, "Bearer tok-3f9", "Bearer tok-3f9ab", "Bearer TOK-3F9A", "Bearer ", "Basic tok-3f9a", "tok-3f9a",
    ] as [String?])
    func bearerRejected(header: String?) throws {
        let input = try request(headers: header.map { [("Authorization", $0)] } ?? [])
        let rejection = try #require(bearerVerifier.verify(input).rejection)
        #expect(rejection == Rejection(.bearer))
        #expect(rejection.status == 401)
    }

    @Test("a tenant that sets both Basic and bearer needs both")
    func bothNeeded() throws {
        let verifier = Verifier(config: VerifyConfig(
            basic: BasicCredentials(user: "coreapp", password: secret("s3cr:et pass")), bearer: secret("tok-3f9a")
        ))
        let basic = ("Authorization", "Basic \(Self.rightBasic)")
        let bearer = ("Authorization", "Bearer tok-3f9a")
        #expect(verifier.verify(try request(headers: [basic, bearer])).rejection == nil)
        #expect(verifier.verify(try request(headers: [basic])).rejection == Rejection(.bearer))
        #expect(verifier.verify(try request(headers: [bearer])).rejection == Rejection(.basic))
    }
}

extension String {
    fileprivate var base64: String { Data(utf8).base64EncodedString() }
}

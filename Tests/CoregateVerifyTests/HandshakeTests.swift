import CoregateTenants
import CoregateVerify
import Testing

@Suite("Cloud API subscription handshake")
struct HandshakeTests {
    /// A token with characters a query must escape.
    let verifier = Verifier(config: VerifyConfig(verifyToken: secret("my token/é+1")))

    func answer(_ query: String, from peer: String = "10.20.0.5", verifier: Verifier? = nil) throws -> HandshakeAnswer {
        (verifier ?? self.verifier).answerHandshake(try request(from: peer, query: query))
    }

    @Test("the challenge is echoed when the mode is subscribe and the token matches", arguments: [
        "hub.mode=subscribe&hub.verify_token=my+token%2F%C3%A9%2B1&hub.challenge=1158201444",
        "hub.challenge=1158201444&hub.mode=subscribe&hub.verify_token=my%20token%2f%c3%a9%2b1",
        "hub.mode=subscribe&hub.verify_token=my+token/é%2B1&hub.challenge=1158201444&hub.challenge=2",
        "hub%2Emode=subscribe&hub.verify_token=my+token%2F%C3%A9%2B1&hub.challenge=1158201444",
    ])
    func accepted(query: String) throws {
        #expect(try answer(query) == .challenge("1158201444"))
    }

    @Test("the challenge is percent-decoded before it is echoed")
    func decodedChallenge() throws {
        let query = "hub.mode=subscribe&hub.verify_token=my+token%2F%C3%A9%2B1&hub.challenge=a+b%26c"
        #expect(try answer(query) == .challenge("a b&c"))
    }

    @Test("a missing or wrong token is a 401", arguments: [
        "hub.mode=subscribe&hub.challenge=1",
        "hub.mode=subscribe&hub.verify_token=&hub.challenge=1",
        "hub.mode=subscribe&hub.verify_token=my+token&hub.challenge=1",
        "hub.mode=subscribe&hub.verify_token=my+token%2F%C3%A9%2B1x&hub.challenge=1",
        "hub.mode=subscribe&hub.verify_token=my+token%2F%C3%A9+1&hub.challenge=1",
        "hub.mode=subscribe&hub.verify_token=my+token%2F%C3%A9%2B1%zz&hub.challenge=1",
        "hub.mode=subscribe&hub.verify_token=wrong&hub.verify_token=my+token%2F%C3%A9%2B1&hub.challenge=1",
    ])
    func wrongToken(query: String) throws {
        #expect(try answer(query) == .rejected(Rejection(.verifyToken)))
        #expect(Rejection(.verifyToken).status == 401)
    }

    @Test("a handshake that is not a subscription, or has no challenge, is a 401", arguments: [
        "hub.mode=unsubscribe&hub.verify_token=my+token%2F%C3%A9%2B1&hub.challenge=1",
        "hub.mode=Subscribe&hub.verify_token=my+token%2F%C3%A9%2B1&hub.challenge=1",
        "hub.mode=&hub.verify_token=my+token%2F%C3%A9%2B1&hub.challenge=1",
        "hub.mode=subscribe&hub.verify_token=my+token%2F%C3%A9%2B1",
        "hub.mode=subscribe&hub.verify_token=my+token%2F%C3%A9%2B1&hub.challenge=",
        "hub.mode=subscribe&hub.verify_token=my+token%2F%C3%A9%2B1&hub.challenge=%FF",
    ])
    func notASubscription(query: String) throws {
        #expect(try answer(query) == .rejected(Rejection(.handshake)))
    }

    @Test("a GET without hub.mode is no handshake", arguments: [
        "", "hub.verify_token=my+token%2F%C3%A9%2B1&hub.challenge=1", "page=2", "hub.mode%zz=subscribe",
    ])
    func notAHandshake(query: String) throws {
        #expect(try answer(query) == .notAHandshake)
    }

    @Test("a tenant without a verify token answers no handshake")
    func noTokenConfigured() throws {
        let verifier = Verifier(config: VerifyConfig())
        let query = "hub.mode=subscribe&hub.verify_token=&hub.challenge=1"
        #expect(try answer(query, verifier: verifier) == .rejected(Rejection(.verifyToken)))
    }

    @Test("a handshake from a source that is not allowed is a 403 before the token is looked at")
    func sourceFirst() throws {
        let verifier = Verifier(config: VerifyConfig(allowFrom: [try cidr("10.20.0.0/16")], verifyToken: secret("tok")))
        let right = "hub.mode=subscribe&hub.verify_token=tok&hub.challenge=7"
        let wrong = "hub.mode=subscribe&hub.verify_token=nope&hub.challenge=7"
        #expect(try answer(right, from: "10.20.9.9", verifier: verifier) == .challenge("7"))
        #expect(try answer(right, from: "203.0.113.9", verifier: verifier) == .rejected(Rejection(.source)))
        #expect(try answer(wrong, from: "203.0.113.9", verifier: verifier) == .rejected(Rejection(.source)))
    }
}

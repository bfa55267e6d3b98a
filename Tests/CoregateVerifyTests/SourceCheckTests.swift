import CoregateTenants
import CoregateVerify
import Testing

@Suite("source addresses")
struct SourceCheckTests {
    @Test("allow_from admits exactly its networks, across both families", arguments: [
        (["10.20.0.0/16"], "10.20.255.1", true),
        (["10.20.0.0/16"], "10.21.0.1", false),
        (["10.20.0.0/16"], "::ffff:10.20.3.4", true),
        (["10.20.0.0/16"], "::ffff:10.21.3.4", false),
        (["10.20.0.0/17"], "10.20.127.255", true),
        (["10.20.0.0/17"], "10.20.128.0", false),
        (["192.0.2.7/32"], "192.0.2.7", true),
        (["192.0.2.7/32"], "192.0.2.8", false),
        (["0.0.0.0/0"], "198.51.100.1", true),
        (["0.0.0.0/0"], "2001:db8::1", false),
        (["2001:db8::/32"], "2001:db8:ffff::1", true),
        (["2001:db8::/32"], "2001:db9::1", false),
        (["2001:db8::/32"], "10.20.0.5", false),
        (["2001:db8::5/128"], "2001:db8::5", true),
        (["2001:db8::5/128"], "2001:db8::6", false),
        (["10.20.0.0/16", "2001:db8::/32"], "2001:db8::1", true),
        (["10.20.0.0/16", "2001:db8::/32"], "10.20.0.1", true),
        (["10.20.0.0/16", "2001:db8::/32"], "203.0.113.1", false),
    ])
    func allowFrom(networks: [String], peer: String, allowed: Bool) throws {
        let verifier = Verifier(config: VerifyConfig(allowFrom: try networks.map(cidr)))
        let result = verifier.verify(try request(from: peer))
        if allowed {
            #expect(result.rejection == nil)
        } else {
            #expect(result.rejection == Rejection(.source))
            #expect(result.rejection?.status == 403)
        }
    }

    @Test("a request with no IP peer is refused when allow_from is set, and passes when it is not")
    func unknownPeer() throws {
        let restricted = Verifier(config: VerifyConfig(allowFrom: [try cidr("0.0.0.0/0"), try cidr("::/0")]))
        #expect(restricted.verify(try request(from: nil)).rejection == Rejection(.source))
        #expect(Verifier(config: VerifyConfig()).verify(try request(from: nil)).rejection == nil)
    }
}

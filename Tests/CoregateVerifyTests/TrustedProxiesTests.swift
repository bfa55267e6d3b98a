import CoregateTenants
import CoregateVerify
import Testing

@Suite("trusted proxies and X-Forwarded-For")
struct TrustedProxiesTests {
    static let proxies = ["127.0.0.0/8", "::1/128", "192.168.1.0/24"]

    @Test("the client is the right-most hop no trusted proxy vouches for", arguments: [
        // An untrusted peer's X-Forwarded-For is its own claim, and ignored.
        ("203.0.113.9", ["10.20.0.5"], "203.0.113.9"),
        // A trusted peer without the header is the client itself.
        ("127.0.0.1", [], "127.0.0.1"),
        ("127.0.0.1", ["10.20.0.5"], "10.20.0.5"),
        // What the client wrote left of its own hop is not believed.
        ("127.0.0.1", ["10.20.0.5, 203.0.113.9"], "203.0.113.9"),
        ("127.0.0.1", ["203.0.113.9, 10.20.0.5"], "10.20.0.5"),
        // Trusted hops are walked past, from the right.
        ("127.0.0.1", ["203.0.113.9, 10.20.0.5, 192.168.1.7"], "10.20.0.5"),
        ("::1", ["10.20.0.5,192.168.1.7,127.0.0.2"], "10.20.0.5"),
        // Every hop trusted: the left-most is as far back as is known.
        ("127.0.0.1", ["192.168.1.8, 192.168.1.7"], "192.168.1.8"),
        // Repeated headers form one list, in order.
        ("127.0.0.1", ["203.0.113.9", "10.20.0.5, 192.168.1.7"], "10.20.0.5"),
        // A dual-stack socket reports an IPv4 proxy IPv4-mapped.
        ("::ffff:127.0.0.1", ["10.20.0.5"], "10.20.0.5"),
        // The forms proxies write hops in.
        ("127.0.0.1", ["2001:db8::5"], "2001:db8::5"),
        ("127.0.0.1", ["[2001:db8::5]:4711"], "2001:db8::5"),
        ("127.0.0.1", ["[2001:db8::5]"], "2001:db8::5"),
        ("127.0.0.1", ["10.20.0.5:4711"], "10.20.0.5"),
        ("127.0.0.1", [" , 10.20.0.5 ,"], "10.20.0.5"),
    ])
    func clientAddress(peer: String, forwardedFor: [String], client: String) throws {
        let verifier = Verifier(config: VerifyConfig(), trustedProxies: try Self.proxies.map(cidr))
        let input = try request(from: peer, headers: forwardedFor.map { ("X-Forwarded-For", $0) })
        #expect(try verifier.verifyHead(input).get().clientAddress == (try address(client)))
    }

    @Test("a right-most untrusted hop that is not an address leaves the client unknown", arguments: [
        "unknown", "10.20.0.5, garbage", "10.20.0.5:port", "[2001:db8::5]x", "_hidden", "10.20.0.5\0junk",
        "fe80::1%eth0", "10.20.0",
    ])
    func unknownClient(forwardedFor: String) throws {
        let verifier = Verifier(
            config: VerifyConfig(allowFrom: [try cidr("0.0.0.0/0"), try cidr("::/0")]),
            trustedProxies: try Self.proxies.map(cidr)
        )
        let input = try request(from: "127.0.0.1", headers: [("X-Forwarded-For", forwardedFor)])
        #expect(verifier.verify(input).rejection == Rejection(.source))
    }

    @Test("allow_from judges the forwarded client, not the proxy")
    func allowFromUsesClient() throws {
        let verifier = Verifier(
            config: VerifyConfig(allowFrom: [try cidr("10.20.0.0/16")]), trustedProxies: [try cidr("127.0.0.0/8")]
        )
        let fromAllowedClient = try request(from: "127.0.0.1", headers: [("x-forwarded-for", "10.20.0.5")])
        let fromOtherClient = try request(from: "127.0.0.1", headers: [("X-Forwarded-For", "203.0.113.9")])
        let spoofedByUntrustedPeer = try request(from: "203.0.113.9", headers: [("X-Forwarded-For", "10.20.0.5")])
        let proxyWithoutHeader = try request(from: "127.0.0.1")
        #expect(verifier.verify(fromAllowedClient).rejection == nil)
        #expect(verifier.verify(fromOtherClient).rejection == Rejection(.source))
        #expect(verifier.verify(spoofedByUntrustedPeer).rejection == Rejection(.source))
        #expect(verifier.verify(proxyWithoutHeader).rejection == Rejection(.source))
    }

    @Test("without trusted proxies X-Forwarded-For is never believed")
    func noTrustedProxies() throws {
        let verifier = Verifier(config: VerifyConfig(allowFrom: [try cidr("10.20.0.0/16")]))
        let input = try request(from: "127.0.0.1", headers: [("X-Forwarded-For", "10.20.0.5")])
        #expect(verifier.verify(input).rejection == Rejection(.source))
    }
}

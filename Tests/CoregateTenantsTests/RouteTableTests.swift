import Testing

@testable import CoregateTenants

@Suite("route table")
struct RouteTableTests {
    static func tenant(_ id: String, path: String, token: String? = nil, sender: Sender = .onPremises, numbers: [String] = [])
        -> Tenant
    {
        Tenant(
            id: id, file: "\(id).toml", sender: sender, path: path,
            pathToken: token.map { Secret(reference: "env:T", value: Array($0.utf8)) }, phoneNumberIDs: numbers)
    }

    static let routes = RouteTable(tenants: [
        tenant("acme", path: "/webhooks/acme"),
        tenant("bravo", path: "/webhooks/bravo", token: "bravo-token-0123456789"),
        tenant("charlie", path: "/hooks", token: "charlie-token-abcdefgh"),
        tenant("delta", path: "/hooks", token: "delta-token-abcdefghij"),
        tenant("globex", path: "/cloud", sender: .cloud, numbers: ["1"]),
        tenant("initech", path: "/cloud", sender: .cloud, numbers: ["2"]),
    ])

    @Test("a path without a token matches exactly", arguments: [
        ("/webhooks/acme", ["acme"]),
        ("/webhooks/acme/", []),
        ("/webhooks/acme/extra", []),
        ("/webhooks/ACME", []),
        ("/webhooks", []),
        ("/", []),
        ("", []),
    ])
    func exact(_ path: String, _ expected: [String]) {
        #expect(Self.routes.tenants(forPath: path).map(\.id) == expected)
    }

    @Test("a path with a token matches only with the right token", arguments: [
        ("/webhooks/bravo/bravo-token-0123456789", ["bravo"]),
        ("/hooks/charlie-token-abcdefgh", ["charlie"]),
        ("/hooks/delta-token-abcdefghij", ["delta"]),
    ])
    func token(_ path: String, _ expected: [String]) {
        #expect(Self.routes.tenants(forPath: path).map(\.id) == expected)
    }

    @Test("a wrong token is answered exactly like an unknown path", arguments: [
        "/webhooks/bravo", "/webhooks/bravo/", "/webhooks/bravo/bravo-token-012345678", "/webhooks/bravo/bravo-token-01234567890",
        "/webhooks/bravo/BRAVO-TOKEN-0123456789", "/webhooks/bravo/bravo-token-0123456789/x", "/hooks/bravo-token-0123456789",
        "/webhooks/unknown",
    ])
    func wrongToken(_ path: String) {
        #expect(Self.routes.tenants(forPath: path).isEmpty)
    }

    @Test("a shared cloud path returns every tenant on it, sorted by id")
    func sharedCloudPath() {
        #expect(Self.routes.tenants(forPath: "/cloud").map(\.id) == ["globex", "initech"])
    }

    @Test("constant-time comparison is equality", arguments: [
        ("", "", true), ("a", "a", true), ("abc", "abd", false), ("abc", "ab", false), ("", "a", false),
    ])
    func constantTime(_ a: String, _ b: String, _ equal: Bool) {
        #expect(constantTimeEquals(Array(a.utf8), Array(b.utf8)) == equal)
        #expect(constantTimeEquals(a.utf8, b.utf8) == equal)
    }
}

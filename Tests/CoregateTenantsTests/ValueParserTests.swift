import Testing

@testable import CoregateTenants

@Suite("durations, sizes and networks")
struct ValueParserTests {
    @Test("durations are a whole number and one unit", arguments: [
        ("500ms", Duration.milliseconds(500)), ("10s", .seconds(10)), ("5m", .seconds(300)), ("1h", .seconds(3600)), ("7d", .seconds(604_800)),
        ("999999999h", .seconds(Int64(999_999_999) * 3600)),
    ])
    func duration(_ text: String, _ expected: Duration) throws {
        #expect(try DurationParser.parse(text) == expected)
    }

    @Test("anything else is not a duration", arguments: [
        "", "10", "s", "1.5s", "10 s", " 10s", "10S", "1m30s", "-5s", "0s", "0ms", "1w", "1000000000s",
    ])
    func badDuration(_ text: String) {
        #expect(throws: ConfigValueError.self) { try DurationParser.parse(text) }
    }

    @Test("sizes are bytes or binary units", arguments: [
        ("1", 1), ("65536", 65536), ("512B", 512), ("64KiB", 65536), ("4MiB", 4 << 20), ("1GiB", 1 << 30),
    ])
    func size(_ text: String, _ expected: Int) throws {
        #expect(try SizeParser.parse(text) == expected)
    }

    @Test("decimal units are refused with a pointer to the binary ones", arguments: ["4MB", "64KB", "64kB", "1GB", "4M"])
    func decimalSize(_ text: String) {
        #expect(throws: ConfigValueError("bad size \"\(text)\": use KiB, MiB or GiB (powers of 1024), not decimal units")) {
            try SizeParser.parse(text)
        }
    }

    @Test("anything else is not a size", arguments: ["", "0", "0KiB", "MiB", "1.5MiB", "4 MiB", "4mib", "-1", "99999999999999999999"])
    func badSize(_ text: String) {
        #expect(throws: ConfigValueError.self) { try SizeParser.parse(text) }
    }

    @Test("networks are stored as 16 bytes, IPv4 mapped into IPv6", arguments: [
        ("10.20.0.0/16", [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xFF, 0xFF, 10, 20, 0, 0], 112),
        ("192.0.2.7", [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xFF, 0xFF, 192, 0, 2, 7], 128),
        ("0.0.0.0/0", [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xFF, 0xFF, 0, 0, 0, 0], 96),
        ("2001:db8::/32", [0x20, 0x01, 0x0D, 0xB8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0], 32),
        ("::1", [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1], 128),
        ("::/0", [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0], 0),
    ] as [(String, [UInt8], Int)])
    func network(_ text: String, _ address: [UInt8], _ prefixLength: Int) throws {
        let cidr = try CIDR(parsing: text)
        #expect(cidr.address == address)
        #expect(cidr.prefixLength == prefixLength)
        #expect(cidr.description == text)
    }

    @Test("bad networks are refused", arguments: [
        "", "10.0.0", "10.0.0.256", "010.0.0.1", "10.0.0.0/33", "10.0.0.0/", "10.0.0.0/+8", "10.0.0.0/8/8", "::1/129",
        "fe80::1%eth0", "example.com", "10.0.0.1/24", "2001:db8::1/32",
    ])
    func badNetwork(_ text: String) {
        #expect(throws: ConfigValueError.self) { try CIDR(parsing: text) }
    }

    @Test("membership works for both families and never mixes them", arguments: [
        ("10.20.0.0/16", "10.20.255.1", true), ("10.20.0.0/16", "10.21.0.1", false), ("10.20.0.0/16", "::ffff:10.20.0.1", true),
        ("0.0.0.0/0", "2001:db8::1", false), ("2001:db8::/32", "2001:db8:ffff::1", true), ("2001:db8::/32", "2001:db9::1", false),
        ("::/0", "10.0.0.1", true), ("192.0.2.7", "192.0.2.7", true), ("192.0.2.7", "192.0.2.8", false),
    ])
    func membership(_ network: String, _ address: String, _ inside: Bool) throws {
        let bytes = try #require(CIDR.addressBytes(address))
        #expect(try CIDR(parsing: network).contains(bytes) == inside)
    }

    @Test("text with a NUL is not an address, whatever comes before it", arguments: ["1.2.3.4\0junk", "::1\0x", "\0"])
    func addressWithNUL(_ text: String) {
        #expect(CIDR.addressBytes(text) == nil)
    }

    @Test("tenant ids follow [a-z0-9][a-z0-9_-]{0,62}", arguments: [
        ("acme", true), ("a", true), ("0", true), ("acme_2-b", true), (String(repeating: "a", count: 63), true),
        ("", false), ("-acme", false), ("_acme", false), ("Acme", false), ("ac.me", false), ("ac me", false),
        (String(repeating: "a", count: 64), false), ("café", false),
    ])
    func identifier(_ text: String, _ valid: Bool) {
        #expect(Identifier.isValid(text) == valid)
    }

    @Test("listen addresses are HOST:PORT", arguments: [
        ("127.0.0.1:8080", true), ("[::1]:8080", true), ("localhost:0", true), ("0.0.0.0:65535", true),
        ("8080", false), (":8080", false), ("::1:8080", false), ("[::1]8080", false), ("host:65536", false), ("host:", false),
        ("[nothost]:80", false),
    ])
    func listen(_ text: String, _ valid: Bool) {
        #expect((ListenAddress.problem(with: text) == nil) == valid)
    }

    @Test("route paths have one spelling", arguments: [
        ("/webhooks/acme", true), ("/a", true), ("/a/b-c_d.e~f", true),
        ("", false), ("webhooks", false), ("/", false), ("/a/", false), ("/a//b", false), ("/a/../b", false),
        ("/a/./b", false), ("/a%20b", false), ("/a b", false), ("/a?b", false), ("/a#b", false),
    ])
    func routePath(_ path: String, _ valid: Bool) {
        #expect((TenantFileParser.problem(withPath: path) == nil) == valid)
    }
}

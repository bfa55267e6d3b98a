import CoregateTenants
import NIOCore
import Testing

@testable import CoregateKit

/// The source check compares the peer's bytes with `allow_from`'s networks, which are parsed from
/// text; the peer's bytes are read from the socket address instead, so both must agree.
@Suite("peer address bytes")
struct PeerAddressTests {
    @Test(
        "a socket address gives the same bytes as its text parsed for allow_from",
        arguments: ["127.0.0.1", "203.0.113.9", "0.0.0.0", "::1", "2001:db8::42", "::ffff:192.0.2.1", "fe80::1:2:3:4"])
    func sameBytesAsParsedText(ip: String) throws {
        let address = try SocketAddress(ipAddress: ip, port: 443)
        #expect(address.addressBytes != nil)
        #expect(address.addressBytes == CIDR.addressBytes(ip))
    }

    @Test("a Unix socket has no address to check")
    func unixSocket() throws {
        #expect(try SocketAddress(unixDomainSocketPath: "/tmp/coregate.sock").addressBytes == nil)
    }
}

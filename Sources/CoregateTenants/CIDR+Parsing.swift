#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

extension CIDR {
    /// Parses `10.20.0.0/16`, `2001:db8::/32`, or a bare address, which means that one host.
    ///
    /// A network with bits set after the prefix (`10.20.1.0/16`) is refused rather than masked:
    /// it is almost always a typo, and masking would silently allow more than the operator wrote.
    init(parsing text: String) throws(ConfigValueError) {
        let parts = text.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count <= 2, let address = Self.addressBytes(String(parts[0])) else {
            throw ConfigValueError("\"\(text)\" is not an IPv4 or IPv6 address or network, such as 10.20.0.0/16 or 2001:db8::/32")
        }
        let isIPv4 = !parts[0].contains(":")
        let maximum = isIPv4 ? 32 : 128
        var prefixLength = maximum
        if parts.count == 2 {
            guard let written = Int(parts[1]), parts[1].allSatisfy({ $0.isASCII && $0.isNumber }), (0...maximum).contains(written) else {
                throw ConfigValueError("\"\(text)\" has a bad prefix length: write /0 to /\(maximum)")
            }
            prefixLength = written
        }
        let storedPrefix = prefixLength + (isIPv4 ? 96 : 0)
        let network = Self.masked(address, prefixLength: storedPrefix)
        guard network == address else {
            let suggestion = Self.format(network, asIPv4: isIPv4) + "/\(prefixLength)"
            throw ConfigValueError("\"\(text)\" has bits set after the prefix; did you mean \(suggestion)?")
        }
        self.init(address: network, prefixLength: storedPrefix, description: text)
    }

    /// An address as the 16 bytes CIDR stores (IPv4 as `::ffff:a.b.c.d`); nil when `text` is not an address.
    public static func addressBytes(_ text: String) -> [UInt8]? {
        // inet_pton stops at a NUL, so "1.2.3.4\0junk" would pass for 1.2.3.4.
        guard !text.utf8.contains(0) else { return nil }
        if text.contains(":") {
            var address = in6_addr()
            guard inet_pton(AF_INET6, text, &address) == 1 else { return nil }
            return withUnsafeBytes(of: &address) { Array($0) }
        }
        var address = in_addr()
        guard inet_pton(AF_INET, text, &address) == 1 else { return nil }
        return [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xFF, 0xFF] + withUnsafeBytes(of: &address) { Array($0) }
    }

    /// Whether a 16-byte address (from `addressBytes`) lies in this network.
    public func contains(_ address: [UInt8]) -> Bool {
        // Byte by byte rather than through `masked`: this runs for every request's source check.
        guard address.count == 16, self.address.count == 16 else { return false }
        for position in 0..<16 {
            let bitsKept = min(max(prefixLength - position * 8, 0), 8)
            if address[position] & UInt8(truncatingIfNeeded: 0xFF << (8 - bitsKept)) != self.address[position] { return false }
        }
        return true
    }

    private static func masked(_ address: [UInt8], prefixLength: Int) -> [UInt8] {
        address.enumerated().map { position, byte in
            let bitsKept = min(max(prefixLength - position * 8, 0), 8)
            return byte & UInt8(truncatingIfNeeded: 0xFF << (8 - bitsKept))
        }
    }

    private static func format(_ address: [UInt8], asIPv4: Bool) -> String {
        if asIPv4 { return address[12...].map(String.init).joined(separator: ".") }
        var storage = in6_addr()
        withUnsafeMutableBytes(of: &storage) { $0.copyBytes(from: address) }
        var buffer = [CChar](repeating: 0, count: Int(INET6_ADDRSTRLEN))
        guard inet_ntop(AF_INET6, &storage, &buffer, socklen_t(buffer.count)) != nil else { return "?" }
        return String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}

import CoregateTenants

/// The global `trusted_proxies`: which peers may tell coregate, in `X-Forwarded-For`, where a
/// request really came from.
///
/// Anyone can send `X-Forwarded-For`, so it is believed only from a trusted peer, and then only
/// as far as the chain of trusted proxies reaches: walking from the right, each trusted proxy
/// appended the hop to its left, and the first untrusted hop is the client. Hops further left were
/// written by that client and prove nothing.
struct TrustedProxies: Sendable {
    let networks: [CIDR]

    /// The address a request is taken to come from; nil when it cannot be known.
    func clientAddress(of input: VerificationInput) -> [UInt8]? {
        guard let peer = input.peerAddress else { return nil }
        guard networks.anyContains(peer) else { return peer }
        let hops = input.headerValues(named: "X-Forwarded-For")
            .flatMap { $0.split(separator: ",") }
            .map { $0.trimmingOptionalWhitespace() }
            .filter { !$0.isEmpty }
        guard !hops.isEmpty else { return peer }
        for hop in hops.reversed() {
            // A trusted proxy would not append garbage, so garbage here is the client's word.
            guard let address = Self.parseHop(hop) else { return nil }
            if !networks.anyContains(address) { return address }
        }
        // Every hop is one of ours: the left-most is as far back as the chain is known.
        return Self.parseHop(hops[0])
    }

    /// A hop as proxies write it: a bare address, `[v6]` or `[v6]:port`, or `v4:port`.
    private static func parseHop(_ hop: Substring) -> [UInt8]? {
        if hop.hasPrefix("["), let close = hop.firstIndex(of: "]") {
            let afterBracket = hop[hop.index(after: close)...]
            guard afterBracket.isEmpty || isPort(afterBracket) else { return nil }
            return address(hop[hop.index(after: hop.startIndex)..<close])
        }
        // One colon cannot be IPv6, which needs at least two.
        if let colon = hop.firstIndex(of: ":"), hop.lastIndex(of: ":") == colon {
            guard isPort(hop[colon...]) else { return nil }
            return address(hop[..<colon])
        }
        return address(hop)
    }

    private static func address(_ text: Substring) -> [UInt8]? {
        // inet_pton reads a C string: an embedded NUL would end it early and let "1.2.3.4\0junk" pass.
        guard !text.utf8.contains(0) else { return nil }
        return CIDR.addressBytes(String(text))
    }

    /// `:` followed by a decimal port.
    private static func isPort(_ text: Substring) -> Bool {
        text.count > 1 && text.first == ":" && text.dropFirst().allSatisfy { $0.isASCII && $0.isNumber }
    }
}

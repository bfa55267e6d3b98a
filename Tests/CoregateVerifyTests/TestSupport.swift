import CoregateTenants
import CoregateVerify
import Testing

/// A resolved secret as the config loader would produce it.
func secret(_ value: String) -> Secret {
    Secret(reference: "env:TEST_SECRET", value: Array(value.utf8))
}

/// An address in the 16-byte form the verifier reads.
func address(_ text: String) throws -> [UInt8] {
    try #require(CIDR.addressBytes(text), "\(text) is not an address")
}

/// A network as `allow_from` or `trusted_proxies` would hold it: IPv4 stored IPv4-mapped.
func cidr(_ text: String) throws -> CIDR {
    let parts = text.split(separator: "/")
    try #require(parts.count == 2, "\(text) is not a CIDR")
    let bits = try #require(Int(parts[1]))
    let isIPv4 = !parts[0].contains(":")
    return CIDR(address: try address(String(parts[0])), prefixLength: isIPv4 ? bits + 96 : bits, description: text)
}

/// A request from `peer` carrying `headers` and `body`.
func request(
    from peer: String? = "10.20.0.5", headers: [(name: String, value: String)] = [], body: String = "",
    query: String = ""
) throws -> VerificationInput {
    VerificationInput(
        query: query, headers: headers, body: Array(body.utf8), peerAddress: try peer.map(address)
    )
}

extension Result where Failure == Rejection {
    var rejection: Rejection? {
        if case .failure(let rejection) = self { rejection } else { nil }
    }
}

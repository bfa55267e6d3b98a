/// A request that passed every check its tenant configures.
/// Only `Verifier` can build one, so a later stage that takes it cannot be handed an unchecked request.
public struct VerifiedRequest: Sendable {
    public let request: VerificationInput
    /// Where the request is taken to come from: the TCP peer, or the hop `X-Forwarded-For`
    /// names when the peer is a trusted proxy; nil when that cannot be known.
    public let clientAddress: [UInt8]?

    init(request: VerificationInput, clientAddress: [UInt8]?) {
        self.request = request
        self.clientAddress = clientAddress
    }
}

/// A request whose head passed every check that needs no body; only `Verifier` builds one, and
/// only `Verifier.verifyBody` turns it into a `VerifiedRequest`.
public struct VerifiedHead: Sendable {
    let request: VerificationInput
    let clientAddress: [UInt8]?
}

/// A request whose head passed every check that needs no body; only `Verifier` builds one, and
/// `Verifier.verifyBody` takes one, so the signature is checked only after the head's checks.
public struct VerifiedHead: Sendable {
    let request: VerificationInput
    /// Where the request is taken to come from: the TCP peer, or the hop `X-Forwarded-For`
    /// names when the peer is a trusted proxy; nil when that cannot be known.
    public let clientAddress: [UInt8]?
}

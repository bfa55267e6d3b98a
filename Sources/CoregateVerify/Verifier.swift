import CoregateTenants

/// Decides whether one request may pass to a tenant, from the tenant's `[verify]` table (SPEC §4).
///
/// Every configured check must pass; an absent one is skipped. The source is checked first, so a
/// request from a network that is not allowed learns `403` and nothing about its credentials;
/// then the client certificate, Basic, bearer and the signature, each a `401`. All but the
/// signature need only the head, and run before the body is read. A failure says only which
/// check failed.
///
/// Built once per tenant when the config is loaded (it prepares the HMAC keys) and then shared.
public struct Verifier: Sendable {
    private let trustedProxies: TrustedProxies
    private let source: SourceCheck?
    private let clientCertificate: ClientCertificateCheck?
    private let basic: BasicCheck?
    private let bearer: BearerCheck?
    private let signature: SignatureCheck?
    private let handshake: HandshakeCheck

    /// `trustedProxies` is the global `trusted_proxies`: peers whose `X-Forwarded-For` is believed.
    public init(config: VerifyConfig, trustedProxies: [CIDR] = []) {
        self.trustedProxies = TrustedProxies(networks: trustedProxies)
        source = config.allowFrom.isEmpty ? nil : SourceCheck(allowed: config.allowFrom)
        clientCertificate = config.clientCertificate.map(ClientCertificateCheck.init)
        basic = config.basic.map(BasicCheck.init)
        bearer = config.bearer.map(BearerCheck.init)
        signature = config.hmacSHA256.isEmpty
            ? nil : SignatureCheck(secrets: config.hmacSHA256, headerName: config.hmacHeader)
        handshake = HandshakeCheck(verifyToken: config.verifyToken)
    }

    /// Verifies a request that delivers webhooks (a `POST`): both stages below, in order.
    public func verify(_ input: VerificationInput) -> Result<Void, Rejection> {
        verifyHead(input).flatMap { verifyBody($0, body: input.body) }
    }

    /// The checks that need only the request head, run before a body byte is read so that a
    /// request failing them costs no memory: source, client certificate, Basic, bearer.
    /// `input.body` is not looked at.
    public func verifyHead(_ input: VerificationInput) -> Result<VerifiedHead, Rejection> {
        let clientAddress = trustedProxies.clientAddress(of: input)
        if let source, !source.passes(clientAddress: clientAddress) { return .failure(Rejection(.source)) }
        if let clientCertificate, !clientCertificate.passes(input.clientCertificate) {
            return .failure(Rejection(.clientCertificate))
        }
        if let basic, !basic.passes(input) { return .failure(Rejection(.basic)) }
        if let bearer, !bearer.passes(input) { return .failure(Rejection(.bearer)) }
        return .success(VerifiedHead(request: input, clientAddress: clientAddress))
    }

    /// What needs the body, once the head passed: the signature. Taking a ``VerifiedHead`` keeps
    /// the order: no body is judged whose head was not.
    public func verifyBody(_ head: VerifiedHead, body: [UInt8]) -> Result<Void, Rejection> {
        var request = head.request
        request.body = body
        if let signature, !signature.passes(request) { return .failure(Rejection(.signature)) }
        return .success(())
    }

    /// Answers a `GET`: the Cloud API's subscription handshake, after the source and client
    /// certificate checks (both belong to the connection, which the handshake shares with the
    /// webhooks). Basic, bearer and the signature are not asked for: Meta's handshake carries
    /// none of them, and the verify token is what authenticates it.
    public func answerHandshake(_ input: VerificationInput) -> HandshakeAnswer {
        let query = QueryParameters(input.query)
        guard HandshakeCheck.isHandshake(query) else { return .notAHandshake }
        if let source, !source.passes(clientAddress: trustedProxies.clientAddress(of: input)) {
            return .rejected(Rejection(.source))
        }
        if let clientCertificate, !clientCertificate.passes(input.clientCertificate) {
            return .rejected(Rejection(.clientCertificate))
        }
        return handshake.answer(query)
    }
}

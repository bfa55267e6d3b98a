import CoregateTenants

/// How to answer a `GET` to a tenant's route.
public enum HandshakeAnswer: Sendable, Equatable {
    /// Answer `200` with exactly this as the body (as `text/plain`).
    case challenge(String)
    case rejected(Rejection)
    /// The query has no `hub.mode`: an ordinary `GET`, which the route does not serve.
    case notAHandshake
}

/// The Cloud API's subscription handshake: when an app's callback URL or verify token is saved,
/// Meta sends `GET ?hub.mode=subscribe&hub.verify_token=<token>&hub.challenge=<n>` and expects
/// the challenge back. Echoing it proves to Meta that the endpoint knows the token, so it is
/// echoed only when the token matches.
struct HandshakeCheck: Sendable {
    /// nil when the tenant sets no `verify_token`: then no handshake can succeed.
    let verifyToken: Secret?

    /// Whether a `GET` means to be a handshake at all; if not, `answer` has nothing to say.
    static func isHandshake(_ query: QueryParameters) -> Bool {
        query.first("hub.mode") != nil
    }

    func answer(_ query: QueryParameters) -> HandshakeAnswer {
        guard query.first("hub.mode") == Array("subscribe".utf8) else { return .rejected(Rejection(.handshake)) }
        guard let verifyToken,
              constantTimeEquals(query.first("hub.verify_token") ?? [], verifyToken.value)
        else { return .rejected(Rejection(.verifyToken)) }
        guard let challengeBytes = query.first("hub.challenge"),
              !challengeBytes.isEmpty,
              let challenge = String(validating: challengeBytes, as: UTF8.self)
        else { return .rejected(Rejection(.handshake)) }
        return .challenge(challenge)
    }
}

/// Why a request failed verification, kept to what may be counted and logged.
/// It holds no value from the request or the config, so neither a log line nor an answer
/// built from it can leak a secret or tell an attacker how close a guess came.
public struct Rejection: Error, Sendable, Equatable, Hashable, CustomStringConvertible {
    /// Which check failed; the raw value is a stable label for metrics and logs.
    public enum Reason: String, Sendable, Equatable, Hashable, CaseIterable {
        /// The request's source address is not in `allow_from`, or cannot be known.
        case source
        case signature
        case basic
        case bearer
        /// No TLS client certificate, or not one the tenant pins.
        case clientCertificate = "client_cert"
        /// A Cloud API handshake whose `hub.verify_token` is missing or wrong.
        case verifyToken = "verify_token"
        /// A Cloud API handshake that is not a subscription or carries no usable challenge.
        case handshake
    }

    public var reason: Reason

    public init(_ reason: Reason) {
        self.reason = reason
    }

    /// `403` for a source that is not allowed, `401` for every other failure (SPEC §9).
    public var status: Int {
        reason == .source ? 403 : 401
    }

    public var description: String {
        "verification failed: \(reason.rawValue) (\(status))"
    }
}

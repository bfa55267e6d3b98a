/// A listener and whether it speaks TLS. Which sockets do is the service's decision (by systemd
/// socket name, or by whether a certificate is configured); the server only carries it out.
public struct Endpoint: Sendable, Equatable, CustomStringConvertible {
    public enum Scheme: String, Sendable, Equatable {
        case http
        case https
    }

    public var listener: Listener
    public var scheme: Scheme

    public init(listener: Listener, scheme: Scheme) {
        self.listener = listener
        self.scheme = scheme
    }

    public var description: String { "\(scheme.rawValue) on \(listener)" }
}

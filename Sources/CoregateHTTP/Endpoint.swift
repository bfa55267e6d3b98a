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

/// `127.0.0.1:8080` or `[::1]:8080`, as an operator writes it and a `Host` header carries it: an
/// IPv6 host is bracketed, or its colons would read as the port's.
public func hostAndPort(_ host: String, _ port: some CustomStringConvertible) -> String {
    host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)"
}

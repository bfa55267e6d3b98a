import NIOCore

/// The bounds that keep one slow or greedy client from holding the server.
public struct HTTPLimits: Sendable, Equatable {
    public var maxBody: Int
    public var maxHeader: Int
    /// At the limit, a new connection displaces the longest-idle one (see `ConnectionLimiter`).
    public var maxConnections: Int
    /// How long a keep-alive connection may sit with no request.
    public var idleTimeout: Duration
    /// How long one request may take to arrive in full from its first byte, so a client trickling
    /// bytes (slowloris) is dropped, on a kept-alive connection as on a new one.
    public var readTimeout: Duration

    public init(maxBody: Int, maxHeader: Int, maxConnections: Int, idleTimeout: Duration, readTimeout: Duration) {
        self.maxBody = maxBody
        self.maxHeader = maxHeader
        self.maxConnections = maxConnections
        self.idleTimeout = idleTimeout
        self.readTimeout = readTimeout
    }
}

extension TimeAmount {
    init(_ duration: Duration) {
        let (seconds, attoseconds) = duration.components
        self = .nanoseconds(seconds * 1_000_000_000 + attoseconds / 1_000_000_000)
    }
}

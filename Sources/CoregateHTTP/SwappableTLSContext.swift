import NIOSSL
import Synchronization

/// The TLS context new connections get, replaced on reload when a certificate is renewed.
///
/// Each connection reads it once, when it is accepted, and keeps that context for its life, so a
/// reload changes what new clients see without touching the connections already open.
public final class SwappableTLSContext: Sendable {
    private let context: Mutex<NIOSSLContext>

    public init(_ context: NIOSSLContext) {
        self.context = Mutex(context)
    }

    public var current: NIOSSLContext { context.withLock { $0 } }

    public func replace(with context: NIOSSLContext) {
        self.context.withLock { $0 = context }
    }
}

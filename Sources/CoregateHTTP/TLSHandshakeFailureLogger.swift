import Logging
import NIOCore
import NIOSSL

/// Says why a TLS handshake failed, such as a client certificate that `client_ca` did not sign:
/// the client only sees its connection end, so the log is where an operator can find out.
/// The error is passed on; the request handler closes the connection.
final class TLSHandshakeFailureLogger: ChannelInboundHandler, Sendable {
    typealias InboundIn = NIOAny

    private let logger: Logger

    init(logger: Logger) {
        self.logger = logger
    }

    func errorCaught(context: ChannelHandlerContext, error: Error) {
        if case NIOSSLError.handshakeFailed(let reason) = error {
            // BoringSSL's reason names the check that failed (CERTIFICATE_VERIFY_FAILED, ...), never key material.
            logger.info(
                "TLS handshake failed",
                metadata: ["peer": "\(context.channel.remoteAddress?.hostAndPort ?? "unknown")", "reason": "\(reason)"])
        }
        context.fireErrorCaught(error)
    }
}

import NIOCore
import NIOHTTP1
import NIOPosix
import NIOSSL

/// Sends one request and reads the whole answer, for `coregate send-test`.
///
/// Built on the NIO the server already links, rather than URLSession, whose Linux implementation
/// (FoundationNetworking) would bring libcurl into the binary for this single request.
public enum OneShotHTTPClient {
    public struct Response: Sendable {
        public var status: Int
        public var body: [UInt8]
    }

    /// `tls` uses the system's trusted certificates and checks the host name.
    /// The answer's body is kept up to `maxBody` bytes.
    public static func post(
        host: String, port: Int, tls: Bool, path: String, headers: [(name: String, value: String)], body: [UInt8],
        maxBody: Int = 1 << 20
    ) async throws -> Response {
        let sslContext = tls ? try NIOSSLContext(configuration: .makeClientConfiguration()) : nil
        let channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .connectTimeout(.seconds(10))
            .connect(host: host, port: port) { channel in
                channel.eventLoop.makeCompletedFuture {
                    if let sslContext {
                        let serverName = host.contains(":") ? nil : host  // SNI takes names, not addresses
                        try channel.pipeline.syncOperations.addHandler(
                            NIOSSLClientHandler(context: sslContext, serverHostname: serverName))
                    }
                    try channel.pipeline.syncOperations.addHTTPClientHandlers()
                    return try NIOAsyncChannel<HTTPClientResponsePart, HTTPClientRequestPart>(
                        wrappingChannelSynchronously: channel)
                }
            }
        var head = HTTPRequestHead(version: .http1_1, method: .POST, uri: path)
        head.headers.add(name: "Host", value: hostAndPort(host, port))
        head.headers.add(name: "Content-Length", value: String(body.count))
        head.headers.add(name: "Connection", value: "close")
        for header in headers { head.headers.add(name: header.name, value: header.value) }
        let request = head

        return try await channel.executeThenClose { inbound, outbound in
            try await outbound.write(.head(request))
            try await outbound.write(.body(.byteBuffer(ByteBuffer(bytes: body))))
            try await outbound.write(.end(nil))
            var response = Response(status: 0, body: [])
            for try await part in inbound {
                switch part {
                case .head(let head):
                    response.status = Int(head.status.code)
                case .body(let chunk):
                    response.body += chunk.readableBytesView.prefix(max(maxBody - response.body.count, 0))
                case .end:
                    return response
                }
            }
            throw ChannelError.inputClosed
        }
    }
}

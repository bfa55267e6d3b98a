import NIOCore
import NIOEmbedded
import NIOHTTP1
import Testing

@testable import CoregateHTTP

/// Issue 17: a connection's socket stays registered for reading while a request is answered,
/// which saves two `epoll_ctl` calls a request, until the client pipelines; then reads pause
/// until the answer, so what a pipelining client sends ahead waits in the kernel, not in memory.
@Suite("reading while answering")
struct ReadWhileAnsweringTests {
    /// Whether the socket is registered for reading: a read reaching the head of the pipeline
    /// registers it, and bytes arriving use the registration up, as in NIO's socket channels.
    private final class SocketReads: ChannelOutboundHandler {
        typealias OutboundIn = Any
        var pending = false

        func read(context: ChannelHandlerContext) {
            pending = true
            context.read()
        }
    }

    /// The replies of the requests handed to the responder, in order. An embedded channel runs
    /// everything on the test's own thread.
    private final class Replies: @unchecked Sendable {
        var all: [Reply] = []
    }

    /// A connection with the server's own handlers whose requests wait until `answerNext`.
    private final class Connection {
        let channel = EmbeddedChannel()
        let socketReads = SocketReads()
        let replies = Replies()
        var answered = 0

        init() throws {
            try channel.pipeline.syncOperations.addHandler(socketReads)
            let limits = HTTPLimits(
                maxBody: 1 << 20, maxHeader: 16 << 10, maxConnections: 10, idleTimeout: .seconds(60),
                readTimeout: .seconds(60))
            let replies = self.replies
            try HTTPServer.addHTTPHandlers(
                to: channel.pipeline.syncOperations, limits: limits, connections: ConnectionRegistry(limit: 10),
                responder: { _ in .readBody { _, reply in replies.all.append(reply) } })
            try channel.connect(to: SocketAddress(ipAddress: "127.0.0.1", port: 9)).wait()
            channel.pipeline.read()
        }

        /// Bytes from the socket, then what NIO does after each read when `autoRead` is on: a
        /// read through the pipeline, unless one is registered already.
        func receive(_ text: String) throws {
            #expect(socketReads.pending, "bytes arrived only because the socket was reading")
            socketReads.pending = false
            try channel.writeInbound(channel.allocator.buffer(string: text))
            if !socketReads.pending { channel.pipeline.read() }
        }

        var waitingRequests: Int { replies.all.count - answered }

        func answerNext() throws {
            let reply = replies.all[answered]
            answered += 1
            reply { Answer(status: .ok, body: "{}") }
            while let _ = try channel.readOutbound(as: ByteBuffer.self) {}
        }
    }

    private static let request = "POST /hook HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\n{}"

    @Test("a client that waits for each answer keeps the socket reading throughout")
    func waitingClient() throws {
        let connection = try Connection()
        for _ in 1...3 {
            try connection.receive(Self.request)
            #expect(connection.waitingRequests == 1)
            #expect(connection.socketReads.pending, "registered while the request is answered")
            try connection.answerNext()
            #expect(connection.socketReads.pending)
        }
    }

    @Test("once a client pipelines, reads pause until the answer, and every request is answered in order")
    func pipeliningClient() throws {
        let connection = try Connection()
        try connection.receive(Self.request)
        #expect(connection.waitingRequests == 1)
        // The next request arrives before the first is answered: no more reads until the answer.
        try connection.receive(Self.request)
        #expect(!connection.socketReads.pending)
        #expect(connection.waitingRequests == 1, "the pipelined request waits for the answer before it")

        try connection.answerNext()
        #expect(connection.waitingRequests == 1, "the second request comes once the first is answered")
        #expect(!connection.socketReads.pending, "still paused while the second is answered")
        try connection.answerNext()
        #expect(connection.waitingRequests == 0)
        // Nothing left buffered: the held-back read goes to the socket again.
        #expect(connection.socketReads.pending)
        try connection.receive(Self.request)
        #expect(connection.waitingRequests == 1)
        try connection.answerNext()
    }
}

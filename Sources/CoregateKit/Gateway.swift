import CoregateDelivery
import CoregateHTTP
import CoregateTenants
import CoregateVerify
import CoregateWhatsApp
import Foundation
import Logging
import NIOCore
import NIOHTTP1
import Synchronization

/// The pipeline for one request, read top to bottom: on the head, route to a tenant and run every
/// check that needs no body; then read the body, check its signature, decode it into events.
/// The configuration is swapped whole on reload; a request keeps the one its head was decided on.
final class Gateway: Sendable {
    private let live: LiveConfiguration
    fileprivate let storeStage: StoreStage
    fileprivate let direct: DirectDelivery
    fileprivate let metrics: GatewayMetrics
    private let logger: Logger

    init(live: LiveConfiguration, storeStage: StoreStage, direct: DirectDelivery, metrics: GatewayMetrics, logger: Logger) {
        self.live = live
        self.storeStage = storeStage
        self.direct = direct
        self.metrics = metrics
        self.logger = logger
    }

    /// The head stage. It runs on the connection's event loop: lookups and comparisons only.
    func decide(_ head: RequestHead) -> HeadDecision {
        let began = ContinuousClock.now
        let active = live.active
        let tenants = active.configuration.routes.tenants(forPath: head.path)
        let tenantID = tenants.first?.id ?? ""
        let logger = requestLogger(requestID: head.requestID, tenant: tenantID)

        switch admit(head, tenants: tenants, active: active, logger: logger) {
        case .answer(let answer):
            metrics.request(tenant: tenantID, status: answer.status, duration: .now - began)
            return .answer(answer)
        case .readBody(let tenant, let verifier, let verifiedHead):
            return .readBody { [self] request, reply in
                let timedReply: AnswerReply = { answer in
                    reply {
                        let answer = answer()
                        self.metrics.request(tenant: tenantID, status: answer.status, duration: .now - began)
                        return answer
                    }
                }
                let body = BodyStage(
                    gateway: self, head: verifiedHead, verifier: verifier, tenant: tenant, tenants: tenants, active: active,
                    logger: logger, reply: timedReply)
                if tenant.delivery.mode == .queue && request.body.readableBytes <= Self.bodyBytesDecodedOnLoop {
                    body.accept(request.body)
                } else {
                    Task { await body.acceptInTask(request.body) }
                }
            }
        }
    }

    /// A body up to this size is checked, decoded and handed to the store on the event loop that
    /// read it (tens of microseconds for a usual webhook of one to a few events): a task would
    /// cost two thread hand-offs, more than the work. A larger body (a batch of thousands of
    /// messages takes tens of milliseconds) is worked on in a task, so the other connections of
    /// that event loop are not held up behind it.
    static let bodyBytesDecodedOnLoop = 16 << 10

    /// The values are the strings themselves: an interpolation would copy the request id (16
    /// bytes, one more than a string holds inline) into a new allocation for every request.
    private func requestLogger(requestID: String, tenant: String) -> Logger {
        var logger = self.logger
        logger[metadataKey: "request_id"] = .string(requestID)
        if !tenant.isEmpty { logger[metadataKey: "tenant"] = .string(tenant) }
        return logger
    }

    private enum Admission {
        case answer(Answer)
        case readBody(Tenant, Verifier, VerifiedHead)
    }

    private func admit(_ head: RequestHead, tenants: [Tenant], active: ActiveConfiguration, logger: Logger) -> Admission {
        guard let tenant = tenants.first, let verifier = active.verifiers[tenant.id] else {
            logger.debug("no tenant at this path", metadata: ["method": "\(head.method)"])
            return .answer(.notFound)
        }
        let input = VerificationInput(head)
        switch head.method {
        case .POST:
            switch verifier.verifyHead(input) {
            case .success(let verified): return .readBody(tenant, verifier, verified)
            case .failure(let rejection): return .answer(rejected(rejection, tenant: tenant, logger: logger))
            }
        case .GET:
            return .answer(handshake(verifier.answerHandshake(input), tenant: tenant, logger: logger))
        default:
            logger.info("method not allowed", metadata: ["method": "\(head.method)"])
            return .answer(.methodNotAllowed)
        }
    }

    /// The body stage of one request: the signature, then decoding, then the store or the handlers.
    private struct BodyStage: Sendable {
        let gateway: Gateway
        let head: VerifiedHead
        let verifier: Verifier
        let tenant: Tenant
        let tenants: [Tenant]
        let active: ActiveConfiguration
        let logger: Logger
        let reply: AnswerReply

        /// Queue mode: the store's commit replies.
        func accept(_ body: ByteBuffer) {
            switch decode(body) {
            case .refused(let answer):
                reply { answer }
            case .events(let routed):
                gateway.storeStage.enqueue(routed.events, tenants: tenants, unowned: routed.unowned, logger: logger, reply: reply)
            }
        }

        /// Either mode, off the event loop.
        func acceptInTask(_ body: ByteBuffer) async {
            guard tenant.delivery.mode == .direct else { return accept(body) }
            switch decode(body) {
            case .refused(let answer):
                reply { answer }
            case .events(let routed):
                let outcome = await gateway.direct.run(
                    routed.events, tenants: tenants, global: active.configuration.global, logger: logger)
                // Counted once the handlers got to run on them, as the queue counts them once stored.
                if outcome != .handlersBusy {
                    for event in routed.events { gateway.metrics.accepted(tenant: event.tenant, type: event.type) }
                }
                reply { Answer(outcome) }
            }
        }

        private enum Decoded {
            case events(EventRouting.Result)
            case refused(Answer)
        }

        private func decode(_ body: ByteBuffer) -> Decoded {
            let bytes = Array(buffer: body)
            if case .failure(let rejection) = verifier.verifyBody(head, body: bytes) {
                return .refused(gateway.rejected(rejection, tenant: tenant, logger: logger))
            }
            let events: [Event]
            do {
                events = try WebhookDecoder.decode(bytes, sender: tenant.sender, tenant: tenant.id, receivedAt: Date())
            } catch {
                logger.notice("not a WhatsApp payload", metadata: ["error": "\(error.message)"])
                return .refused(.error(.badRequest, error.message))
            }
            return .events(EventRouting.assign(events, to: tenants, logger: logger))
        }
    }

    private func handshake(_ answer: HandshakeAnswer, tenant: Tenant, logger: Logger) -> Answer {
        switch answer {
        case .challenge(let challenge):
            logger.info("answered the subscription handshake")
            return Answer(status: .ok, contentType: "text/plain", body: challenge)
        case .rejected(let rejection):
            return rejected(rejection, tenant: tenant, logger: logger)
        case .notAHandshake:
            return .methodNotAllowed
        }
    }

    fileprivate func rejected(_ rejection: Rejection, tenant: Tenant, logger: Logger) -> Answer {
        metrics.verificationFailed(tenant: tenant.id, reason: rejection.reason.rawValue)
        logger.warning("verification failed", metadata: ["reason": "\(rejection.reason.rawValue)"])
        return rejection.status == 403 ? .forbidden : .unauthorized
    }
}

/// The configuration in force. Reload swaps it whole; a request or a dispatcher round takes one
/// snapshot and keeps it, so it never sees half of an old and half of a new configuration.
final class LiveConfiguration: Sendable {
    private let state: Mutex<ActiveConfiguration>

    init(_ configuration: Configuration) {
        state = Mutex(ActiveConfiguration(configuration))
    }

    var active: ActiveConfiguration { state.withLock { $0 } }

    var configuration: Configuration { active.configuration }

    /// Builds everything the new configuration needs before taking the lock, so the swap is instant.
    func replace(with configuration: Configuration) {
        let prepared = ActiveConfiguration(configuration)
        state.withLock { $0 = prepared }
    }
}

/// A configuration with what each request would otherwise rebuild: one verifier per tenant.
struct ActiveConfiguration: Sendable {
    let configuration: Configuration
    let verifiers: [String: Verifier]

    init(_ configuration: Configuration) {
        self.configuration = configuration
        var verifiers: [String: Verifier] = [:]
        for tenant in configuration.tenants {
            verifiers[tenant.id] = Verifier(config: tenant.verify, trustedProxies: configuration.global.trustedProxies)
        }
        self.verifiers = verifiers
    }
}

extension VerificationInput {
    /// Without the body: the signature check gets it once it has been read.
    init(_ head: RequestHead) {
        self.init(
            query: head.query,
            headers: head.headers.map { (name: $0.name, value: $0.value) },
            peerAddress: head.peer?.addressBytes,
            clientCertificate: head.peerCertificate.map(ClientCertificateInfo.init))
    }
}

extension SocketAddress {
    /// The address as `CIDR.addressBytes` gives it (IPv4 mapped into IPv6), read from the socket
    /// address itself: every request's source check needs it, and formatting the address as text
    /// to parse it back cost two conversions and three allocations each time.
    var addressBytes: [UInt8]? {
        switch self {
        case .v4(let address):
            var bytes = [UInt8](repeating: 0, count: 16)
            bytes[10] = 0xFF
            bytes[11] = 0xFF
            withUnsafeBytes(of: address.address.sin_addr) { bytes.replaceSubrange(12..<16, with: $0) }
            return bytes
        case .v6(let address):
            return withUnsafeBytes(of: address.address.sin6_addr) { Array($0) }
        case .unixDomainSocket:
            return nil
        }
    }
}

extension ClientCertificateInfo {
    init(_ certificate: PeerCertificate) {
        // RFC 4514 writes the most specific attribute first; a certificate stores it last.
        let subject = DistinguishedName(
            attributes: certificate.subject.reversed().map { DistinguishedName.Attribute(type: $0.type, value: $0.value) })
        self.init(derEncoded: certificate.derEncoded, subject: subject)
    }
}

extension Answer {
    /// The same words for every failed check: the answer must not tell an attacker which one failed.
    static let unauthorized = Answer.error(.unauthorized, "verification failed")
    static let forbidden = Answer.error(.forbidden, "source not allowed")
}

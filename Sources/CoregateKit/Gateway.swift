import CoregateHTTP
import CoregateTenants
import CoregateVerify
import CoregateWhatsApp
import Foundation
import Logging
import NIOCore
import NIOHTTP1
import Synchronization

/// The pipeline for one request, read top to bottom: route to a tenant, verify, decode into events.
/// The configuration is swapped whole on reload; a request keeps the one it started with.
public final class Gateway: Sendable {
    private let active: Mutex<ActiveConfiguration>
    private let logger: Logger
    public let counters = RequestCounters()

    public init(configuration: Configuration, logger: Logger) {
        self.active = Mutex(ActiveConfiguration(configuration))
        self.logger = logger
    }

    public var current: Configuration { active.withLock { $0.configuration } }

    /// Builds everything the new configuration needs before taking the lock, so the swap is instant.
    public func replace(with configuration: Configuration) {
        let prepared = ActiveConfiguration(configuration)
        active.withLock { $0 = prepared }
    }

    public func handle(_ request: InboundRequest) async -> Answer {
        let answer = await route(request)
        counters.record(answer.status)
        return answer
    }

    private func route(_ request: InboundRequest) async -> Answer {
        let active = self.active.withLock { $0 }
        var logger = self.logger
        logger[metadataKey: "request_id"] = "\(request.requestID)"

        let tenants = active.configuration.routes.tenants(forPath: request.path)
        guard let tenant = tenants.first, let verifier = active.verifiers[tenant.id] else {
            logger.debug("no tenant at this path", metadata: ["method": "\(request.method)"])
            return .notFound
        }
        logger[metadataKey: "tenant"] = "\(tenant.id)"
        let input = VerificationInput(request)

        switch request.method {
        case .POST:
            break
        case .GET:
            return handshake(verifier.answerHandshake(input), tenant: tenant, logger: logger)
        default:
            logger.info("method not allowed", metadata: ["method": "\(request.method)"])
            return .methodNotAllowed
        }

        if case .failure(let rejection) = verifier.verify(input) {
            return rejected(rejection, tenant: tenant, logger: logger)
        }

        let events: [Event]
        do {
            events = try WebhookDecoder.decode(
                input.body, sender: tenant.sender.rawValue, tenant: tenant.id, receivedAt: Date())
        } catch {
            logger.notice("not a WhatsApp payload", metadata: ["error": "\(error.message)"])
            return .error(.badRequest, error.message)
        }
        let routed = EventRouting.assign(events, to: tenants, logger: logger)
        logger.info("accepted", metadata: ["events": "\(routed.events.count)", "unowned": "\(routed.unowned)"])
        return .accepted(events: routed.events.count, unowned: routed.unowned)
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

    private func rejected(_ rejection: Rejection, tenant: Tenant, logger: Logger) -> Answer {
        counters.recordRejection(tenant: tenant.id, reason: rejection.reason.rawValue)
        logger.warning("verification failed", metadata: ["reason": "\(rejection.reason.rawValue)"])
        return rejection.status == 403 ? .forbidden : .unauthorized
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
    init(_ request: InboundRequest) {
        self.init(
            query: request.query,
            headers: request.headers.map { (name: $0.name, value: $0.value) },
            body: Array(buffer: request.body),
            peerAddress: request.peer?.ipAddress.flatMap(CIDR.addressBytes),
            clientCertificate: request.peerCertificate.map(ClientCertificateInfo.init))
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
    static func accepted(events: Int, unowned: Int) -> Answer {
        Answer(status: .ok, body: #"{"status":"accepted","events":\#(events),"unowned":\#(unowned)}"#)
    }

    /// The same words for every failed check: the answer must not tell an attacker which one failed.
    static let unauthorized = Answer.error(.unauthorized, "verification failed")
    static let forbidden = Answer.error(.forbidden, "source not allowed")
}

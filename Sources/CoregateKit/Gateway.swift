import CoregateHTTP
import CoregateTenants
import CoregateWhatsApp
import Foundation
import Logging
import NIOCore
import NIOHTTP1
import Synchronization

/// The pipeline for one request, read top to bottom: route to a tenant, verify, decode into events.
/// The configuration is swapped whole on reload; a request keeps the one it started with.
public final class Gateway: Sendable {
    private let configuration: Mutex<Configuration>
    private let logger: Logger
    public let counters = RequestCounters()

    public init(configuration: Configuration, logger: Logger) {
        self.configuration = Mutex(configuration)
        self.logger = logger
    }

    public var current: Configuration { configuration.withLock { $0 } }

    public func replace(with configuration: Configuration) {
        self.configuration.withLock { $0 = configuration }
    }

    public func handle(_ request: InboundRequest) async -> Answer {
        let answer = await route(request)
        counters.record(answer.status)
        return answer
    }

    private func route(_ request: InboundRequest) async -> Answer {
        let configuration = self.current
        var logger = self.logger
        logger[metadataKey: "request_id"] = "\(request.requestID)"

        let tenants = configuration.routes.tenants(forPath: request.path)
        guard let tenant = tenants.first else {
            logger.debug("no tenant at this path", metadata: ["method": "\(request.method)"])
            return .notFound
        }
        logger[metadataKey: "tenant"] = "\(tenant.id)"
        guard request.method == .POST else {
            logger.info("method not allowed", metadata: ["method": "\(request.method)"])
            return .methodNotAllowed
        }

        let events: [Event]
        do {
            events = try WebhookDecoder.decode(
                Array(buffer: request.body), sender: tenant.sender.rawValue, tenant: tenant.id, receivedAt: Date())
        } catch {
            logger.notice("not a WhatsApp payload", metadata: ["error": "\(error.message)"])
            return .error(.badRequest, error.message)
        }
        let routed = EventRouting.assign(events, to: tenants, logger: logger)
        logger.info(
            "accepted",
            metadata: ["events": "\(routed.events.count)", "unowned": "\(routed.unowned)"])
        return .accepted(events: routed.events.count, unowned: routed.unowned)
    }
}

extension Answer {
    static func accepted(events: Int, unowned: Int) -> Answer {
        Answer(status: .ok, body: #"{"status":"accepted","events":\#(events),"unowned":\#(unowned)}"#)
    }
}

import CoregateDelivery
import CoregateStore
import CoregateTenants
import CoregateWhatsApp
import Foundation
import Logging

/// `coregate run-handler`: one handler, run by hand on one event, exactly as the service runs it.
///
/// Nothing here builds an environment or starts a process: the invocation goes to the same
/// `HandlerRunner`, which asks the same `HandlerEnvironment`, as the dispatcher's. Only the logger
/// differs, so that the handler's stderr lines reach the terminal rather than the journal.
public struct HandlerTrial: Sendable {
    public let tenant: Tenant
    public let handler: HandlerConfig
    /// The service's `state_dir`; the handler gets its tenant's folder under it.
    public let stateDir: String
    /// The tenants' uids when `handler_uids` is set: the handler runs as its tenant's, as under the service.
    let identities: TenantIdentities?

    public struct NotFound: Error, CustomStringConvertible {
        public let description: String
    }

    /// Throws ``NotFound``, or ``HandlerIsolation/Refusal`` when `handler_uids` is set and this
    /// process cannot run the handler as its tenant's uid.
    public init(configuration: Configuration, tenant tenantID: String, handler handlerName: String) throws {
        guard let tenant = configuration.tenants.first(where: { $0.id == tenantID }) else {
            let known = configuration.tenants.map(\.id).joined(separator: ", ")
            throw NotFound(description: "no tenant \(tenantID); the tenants are: \(known)")
        }
        guard let handler = tenant.handlers.first(where: { $0.name == handlerName }) else {
            let known = tenant.handlers.map(\.name).joined(separator: ", ")
            throw NotFound(description: "tenant \(tenantID) has no handler \(handlerName); its handlers are: \(known)")
        }
        self.tenant = tenant
        self.handler = handler
        self.stateDir = configuration.global.stateDir
        self.identities = try HandlerIsolation.identities(for: configuration.global).get()
    }

    /// The events in a webhook body or in normalized events, as `EventLine.events(in:)` reads them.
    public func events(in input: [UInt8]) throws(DecodeError) -> [EventLine] {
        try EventLine.events(in: input, sender: tenant.sender, tenant: tenant.id, receivedAt: Date())
    }

    /// Whether the service would give this event to the handler at all.
    public func takes(_ event: EventLine) -> Bool {
        handler.takes(eventType: event.type)
    }

    /// Runs the handler once; each line it writes to stderr is passed to `standardErrorLine` as it comes.
    public func run(
        _ event: EventLine, attempt: Int, standardErrorLine: @escaping @Sendable (String) -> Void
    ) async -> HandlerResult {
        var invocation = HandlerInvocation(
            tenant: tenant.id, sender: tenant.sender, handler: handler, eventID: event.id, eventType: event.type, eventJSON: event.json,
            attempt: attempt, stateDir: stateDir)
        let logger = Logger(label: "coregate.run-handler") { _ in LineLogHandler(emit: standardErrorLine) }
        guard handler.mode == .stream else { return await HandlerRunner(logger: logger, identities: identities).run(invocation) }
        // One worker, one event through the protocol, then end of input, as the service stops it.
        var oneWorker = handler
        oneWorker.workers = 1
        let streams = StreamHandlers(logger: logger, identities: identities)
        var global = GlobalConfig()
        global.stateDir = stateDir
        var alone = tenant
        alone.handlers = [oneWorker]
        streams.configure(Configuration(global: global, tenants: [alone]))
        invocation.handler = oneWorker
        let result = await streams.run(invocation)
        await streams.stop()
        return result
    }

}

/// Hands each message on as a bare line: the runner logs one message per stderr line, and
/// `run-handler` already says whose handler and which event they belong to.
private struct LineLogHandler: LogHandler {
    let emit: @Sendable (String) -> Void
    var metadata: Logger.Metadata = [:]
    var logLevel: Logger.Level = .trace

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        // The handler's lines are logged at info; anything else is the runner's own word.
        emit(event.level == .info ? event.message.description : "(coregate: \(event.message))")
    }
}

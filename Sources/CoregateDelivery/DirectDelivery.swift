import CoregateStore
import CoregateTenants
import CoregateWhatsApp
import Foundation
import Logging

/// Direct mode (SPEC §8): a request's events run through their handlers before it is answered,
/// drawing on the same slots as the queue (``Dispatcher/acquireDirect(tenant:handler:timeout:)``),
/// with the same transports and observers. The outcome decides the answer, and so whether the
/// sender retries.
public struct DirectDelivery: Sendable {
    public enum Outcome: Sendable, Equatable {
        /// Every handler succeeded on every event, now or in an earlier try of the request.
        case delivered(events: Int)
        /// This many runs failed; the sender retries, and what succeeded is not run again.
        case handlersFailed(Int)
        /// No slot came free in time, or the gateway was short of resources to start a handler.
        case handlersBusy
        /// The reply actions of a success could not be stored, so a 200 would lose them.
        case storeUnavailable
    }

    private let dispatcher: Dispatcher
    /// What succeeded, so a retried request does not run it again.
    private let successes: DirectSuccessRecorder

    public init(dispatcher: Dispatcher, logger: Logger) {
        self.dispatcher = dispatcher
        successes = DirectSuccessRecorder(store: dispatcher.store, logger: logger, repliesStored: dispatcher.repliesStored)
    }

    /// Runs every matching handler, one event after another so a contact's events keep their
    /// order. A handler that already succeeded on an event, in an earlier try of the same request,
    /// is not run again.
    public func run(_ events: [Event], tenants: [Tenant], global: GlobalConfig, logger: Logger) async -> Outcome {
        let owners = Dictionary(tenants.map { ($0.id, $0) }, uniquingKeysWith: { first, _ in first })
        let succeededBefore = await succeededEarlier(events, logger: logger)
        var succeeded: [DirectSuccess] = []
        var recorded = false
        // Also when the request ends early (no slot, a shortage): what succeeded is not run again.
        defer { if !recorded { successes.record(succeeded) } }
        var failures = 0
        for event in events {
            guard let tenant = owners[event.tenant] else { continue }
            for handler in tenant.handlers where handler.takes(eventType: event.type) {
                var logger = logger
                logger[metadataKey: "handler"] = "\(handler.name)"
                logger[metadataKey: "event_id"] = "\(event.id)"
                if succeededBefore[event.tenant]?[event.id]?.contains(handler.name) == true {
                    logger.info("already delivered by an earlier try of this request; not run again")
                    continue
                }
                guard await dispatcher.acquireDirect(tenant: tenant.id, handler: handler.name, timeout: global.directWait) else {
                    logger.warning("no handler slot came free in time; answering 503")
                    return .handlersBusy
                }
                let line = event.jsonLine()
                let invocation = HandlerInvocation(
                    tenant: tenant.id, sender: tenant.sender, handler: handler, eventID: event.id, eventType: event.type,
                    eventJSON: line, attempt: 1, stateDir: global.stateDir)
                let transport: any HandlerTransport = handler.mode == .stream ? dispatcher.streams : dispatcher.runner
                let result = await transport.run(invocation)
                dispatcher.releaseDirect(tenant: tenant.id, handler: handler.name)
                if case .gatewayShortOf(let reason) = result.outcome {
                    dispatcher.deferralObserver(tenant.id, handler.name)
                    logger.warning("handler not started, the gateway is short of resources; answering 503", metadata: ["reason": "\(reason)"])
                    return .handlersBusy
                }
                dispatcher.attemptObserver(tenant.id, handler.name, result)
                if result.outcome == .succeeded {
                    logger.info("delivered", metadata: ["outcome": "\(result.outcome)"])
                    let stored = NewEvent(
                        id: event.id, tenant: event.tenant, type: event.type, contactKey: event.contactKey, json: line,
                        handlers: [])
                    succeeded.append(DirectSuccess(event: stored, handler: handler.name, report: result))
                } else {
                    failures += 1
                    logger.warning("direct delivery failed", metadata: ["outcome": "\(result.outcome.recordedName)"])
                }
            }
        }
        // A 200 ends the sender's retries, so reply actions must be stored before it: recorded in
        // the background, a crash could lose them with nobody left to ask again.
        if failures == 0 && succeeded.contains(where: { !$0.report.replies.isEmpty }) {
            recorded = true
            do {
                try await dispatcher.store.recordDirectSuccesses(succeeded)
                dispatcher.repliesStored()
            } catch {
                logger.error("cannot record direct deliveries and their replies; answering 503", metadata: ["error": "\(error)"])
                return .storeUnavailable
            }
        }
        return failures == 0 ? .delivered(events: events.count) : .handlersFailed(failures)
    }

    /// Per tenant, per event, the handlers that succeeded in an earlier try, committed or still
    /// waiting for their batch. When the store cannot say, every handler runs: at least once is
    /// the promise.
    private func succeededEarlier(_ events: [Event], logger: Logger) async -> [String: [String: Set<String>]] {
        var byTenant: [String: [String: Set<String>]] = [:]
        for (tenant, tenantEvents) in Dictionary(grouping: events, by: \.tenant) {
            let ids = tenantEvents.map(\.id)
            var succeeded = successes.uncommitted(tenant: tenant, eventIDs: Set(ids))
            do {
                succeeded.merge(try await dispatcher.store.directSucceeded(tenant: tenant, eventIDs: ids)) { $0.union($1) }
            } catch {
                logger.error("cannot read earlier direct deliveries; running every handler", metadata: ["error": "\(error)"])
            }
            byTenant[tenant] = succeeded
        }
        return byTenant
    }
}

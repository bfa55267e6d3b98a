import CoregateDelivery
import CoregateHTTP
import CoregateStore
import CoregateTenants
import CoregateWhatsApp
import Foundation
import Logging

/// Answers a request once, from any thread; the closure that makes the answer runs on the
/// request's event loop (see `Reply`).
typealias AnswerReply = @Sendable (@escaping @Sendable () -> Answer) -> Void

/// The last two stages for one request's events: stored then delivered by the queue, or run at
/// once in direct mode. Either way the answer is what tells the sender whether to retry.
struct Delivery: Sendable {
    let store: any Store
    let dispatcher: Dispatcher
    let runner: HandlerRunner
    let metrics: GatewayMetrics
    /// Direct-mode successes with reply actions were recorded.
    let repliesStored: @Sendable () -> Void
    /// Direct mode's memory of successes, written in batches.
    private let successes: DirectSuccessRecorder

    init(
        store: any Store, dispatcher: Dispatcher, runner: HandlerRunner, metrics: GatewayMetrics, logger: Logger,
        repliesStored: @escaping @Sendable () -> Void = {}
    ) {
        self.store = store
        self.dispatcher = dispatcher
        self.runner = runner
        self.metrics = metrics
        self.repliesStored = repliesStored
        successes = DirectSuccessRecorder(store: store, logger: logger, repliesStored: repliesStored)
    }

    /// `200` only after the commit that holds every event; `503` when a tenant's backlog is over
    /// its bound or the store fails, so the sender keeps the data and retries. It returns at once;
    /// `reply` is called after the commit, and what follows it (the access log line, metrics, the
    /// dispatcher's wake-up) runs in the reply's closure, on the connection's event loop, so the
    /// store's commit thread only hands over.
    func enqueue(_ events: [Event], tenants: [Tenant], unowned: Int, logger: Logger, reply: @escaping AnswerReply) {
        // `tenants` are the few sharing the request's path (ids unique), usually one: searched in
        // place, with no dictionary or set built for every request.
        for tenant in tenants where events.contains(where: { $0.tenant == tenant.id }) {
            let backlog = store.backlog(tenant: tenant.id)
            if backlog >= tenant.delivery.maxBacklog {
                logger.warning(
                    "backlog over its bound; answering 503 so the sender retries later",
                    metadata: ["backlog": "\(backlog)", "max_backlog": "\(tenant.delivery.maxBacklog)"])
                return reply { .backlogFull }
            }
        }
        let newEvents = events.map { event in
            let owner = tenants.first { $0.id == event.tenant }
            let handlers = owner?.handlers.filter { $0.takes(eventType: event.type) }.map(\.name) ?? []
            return NewEvent(
                id: event.id, tenant: event.tenant, type: event.type, contactKey: event.contactKey,
                json: event.jsonLine(), handlers: handlers)
        }
        let (dispatcher, metrics) = (dispatcher, metrics)
        store.enqueue(newEvents) { outcome in
            reply {
                let result: EnqueueResult
                switch outcome {
                case .success(let stored): result = stored
                case .failure(let error):
                    logger.error("cannot store events", metadata: ["error": "\(error)"])
                    return .storeUnavailable
                }
                // Events no handler takes need no delivery, so they need not wake the dispatcher either.
                if result.stored > 0 {
                    dispatcher.wake(tenants: Set(newEvents.lazy.filter { !$0.handlers.isEmpty }.map(\.tenant)))
                }
                for event in events { metrics.accepted(tenant: event.tenant, type: event.type) }
                logger.info(
                    "stored",
                    metadata: ["stored": "\(result.stored)", "duplicates": "\(result.duplicates)", "unowned": "\(unowned)"])
                return .accepted(events: events.count, stored: result.stored, duplicates: result.duplicates, unowned: unowned)
            }
        }
    }

    /// Runs every matching handler before answering, one event after another so a contact's
    /// events keep their order: `200` when all succeed, `503` otherwise (the sender retries).
    /// A handler that already succeeded on an event, in an earlier try of the same request, is
    /// not run again.
    func runDirect(_ events: [Event], tenants: [Tenant], global: GlobalConfig, logger: Logger) async -> Answer {
        let owners = Dictionary(tenants.map { ($0.id, $0) }, uniquingKeysWith: { first, _ in first })
        let succeededBefore = await directSucceeded(events, logger: logger)
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
                let transport: any HandlerTransport = handler.mode == .stream ? dispatcher.streams : runner
                let result = await transport.run(invocation)
                dispatcher.releaseDirect(tenant: tenant.id, handler: handler.name)
                if case .gatewayShortOf(let reason) = result.outcome {
                    metrics.deferred(tenant: tenant.id, handler: handler.name)
                    logger.warning("handler not started, the gateway is short of resources; answering 503", metadata: ["reason": "\(reason)"])
                    return .handlersBusy
                }
                metrics.attempt(tenant: tenant.id, handler: handler.name, report: result)
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
        for event in events { metrics.accepted(tenant: event.tenant, type: event.type) }
        // A 200 ends the sender's retries, so reply actions must be stored before it: recorded in
        // the background, a crash could lose them with nobody left to ask again.
        if failures == 0 && succeeded.contains(where: { !$0.report.replies.isEmpty }) {
            recorded = true
            do {
                try await store.recordDirectSuccesses(succeeded)
                repliesStored()
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
    private func directSucceeded(_ events: [Event], logger: Logger) async -> [String: [String: Set<String>]] {
        var byTenant: [String: [String: Set<String>]] = [:]
        for (tenant, tenantEvents) in Dictionary(grouping: events, by: \.tenant) {
            let ids = tenantEvents.map(\.id)
            var succeeded = successes.uncommitted(tenant: tenant, eventIDs: Set(ids))
            do {
                succeeded.merge(try await store.directSucceeded(tenant: tenant, eventIDs: ids)) { $0.union($1) }
            } catch {
                logger.error("cannot read earlier direct deliveries; running every handler", metadata: ["error": "\(error)"])
            }
            byTenant[tenant] = succeeded
        }
        return byTenant
    }
}

extension Answer {
    static func accepted(events: Int, stored: Int, duplicates: Int, unowned: Int) -> Answer {
        Answer(
            status: .ok,
            body: #"{"status":"accepted","events":\#(events),"stored":\#(stored),"duplicates":\#(duplicates),"unowned":\#(unowned)}"#)
    }

    static func delivered(events: Int) -> Answer {
        Answer(status: .ok, body: #"{"status":"delivered","events":\#(events)}"#)
    }

    static func handlersFailed(_ count: Int) -> Answer {
        Answer(status: .serviceUnavailable, body: #"{"error":"handlers failed","failures":\#(count)}"#)
    }

    static let backlogFull = Answer.error(.serviceUnavailable, "backlog full, retry later")
    static let storeUnavailable = Answer.error(.serviceUnavailable, "store unavailable")
    static let handlersBusy = Answer.error(.serviceUnavailable, "handlers busy, retry later")
}

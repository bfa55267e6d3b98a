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

/// The stored stage of a queue-mode request: its events go to the store, and the answer waits for
/// the commit. (Direct mode's last stage is ``DirectDelivery``.)
struct StoreStage: Sendable {
    let store: any Store
    let dispatcher: Dispatcher
    let metrics: GatewayMetrics

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
}

extension Answer {
    /// The answer that tells the sender whether to retry a direct-mode request.
    init(_ outcome: DirectDelivery.Outcome) {
        switch outcome {
        case .delivered(let events): self = .delivered(events: events)
        case .handlersFailed(let count): self = .handlersFailed(count)
        case .handlersBusy: self = .handlersBusy
        case .storeUnavailable: self = .storeUnavailable
        }
    }

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

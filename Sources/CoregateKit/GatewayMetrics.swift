import CoregateDelivery
import CoregateStore
import Foundation
import NIOHTTP1
import Prometheus
import Synchronization

/// What Prometheus scrapes, and the request totals the `STATUS=` line shows.
/// Queue gauges are read from the store at scrape time, so they cost nothing between scrapes.
final class GatewayMetrics: Sendable {
    let registry = PrometheusCollectorRegistry()
    private let answersByStatus = Mutex<[UInt: Int]>([:])
    /// The series every request or event touches, looked up in the registry once each: the
    /// registry builds the metric's name and compares every label on each `make…` call, which
    /// showed in profiles of the ingest path.
    private let perRequest = Mutex(PerRequestSeries())

    private struct PerRequestSeries {
        struct Answered: Hashable {
            let tenant: String
            let status: UInt
        }
        struct Accepted: Hashable {
            let tenant: String
            let type: String
        }
        var answers: [Answered: Counter] = [:]
        var durations: [String: DurationHistogram] = [:]
        var events: [Accepted: Counter] = [:]
        struct Attempted: Hashable {
            let tenant: String
            let handler: String
            let outcome: String
        }
        struct Handler: Hashable {
            let tenant: String
            let handler: String
        }
        var attempts: [Attempted: Counter] = [:]
        var handlerDurations: [Handler: DurationHistogram] = [:]
    }

    private static let durationBuckets: [Duration] = [
        .milliseconds(1), .milliseconds(5), .milliseconds(10), .milliseconds(50), .milliseconds(100),
        .milliseconds(500), .seconds(1), .seconds(5), .seconds(10), .seconds(30), .seconds(60),
    ]

    /// `tenant` is empty when no tenant matched the path.
    func request(tenant: String, status: HTTPResponseStatus, duration: Duration) {
        answersByStatus.withLock { $0[status.code, default: 0] += 1 }
        let (answers, durations) = perRequest.withLock { series in
            let key = PerRequestSeries.Answered(tenant: tenant, status: status.code)
            if series.answers[key] == nil {
                series.answers[key] = registry.makeCounter(
                    descriptor: .init(namespace: "coregate", metricName: "http_requests_total", helpText: "HTTP answers by tenant and status"),
                    labels: [("tenant", tenant), ("status", String(status.code))])
            }
            if series.durations[tenant] == nil {
                series.durations[tenant] = registry.makeDurationHistogram(
                    descriptor: .init(namespace: "coregate", metricName: "http_request_duration_seconds", helpText: "Time to answer a webhook"),
                    labels: [("tenant", tenant)], buckets: Self.durationBuckets)
            }
            return (series.answers[key]!, series.durations[tenant]!)
        }
        answers.increment()
        durations.record(duration)
    }

    func verificationFailed(tenant: String, reason: String) {
        registry.makeCounter(
            descriptor: .init(namespace: "coregate", metricName: "verification_failures_total", helpText: "Failed checks by tenant and reason"),
            labels: [("tenant", tenant), ("reason", reason)]
        ).increment()
    }

    /// Counted when the answer is 200 or a direct run; a redelivered duplicate counts again.
    func accepted(tenant: String, type: String) {
        perRequest.withLock { series in
            let key = PerRequestSeries.Accepted(tenant: tenant, type: type)
            if let counter = series.events[key] { return counter }
            let counter = registry.makeCounter(
                descriptor: .init(namespace: "coregate", metricName: "events_total", helpText: "Events accepted by tenant and type"),
                labels: [("tenant", tenant), ("type", type)])
            series.events[key] = counter
            return counter
        }.increment()
    }

    func attempt(tenant: String, handler: String, report: HandlerResult) {
        let (attempts, durations) = perRequest.withLock { series in
            let key = PerRequestSeries.Attempted(tenant: tenant, handler: handler, outcome: report.outcome.recordedName)
            if series.attempts[key] == nil {
                series.attempts[key] = registry.makeCounter(
                    descriptor: .init(namespace: "coregate", metricName: "handler_attempts_total", helpText: "Handler runs by outcome"),
                    labels: [("tenant", tenant), ("handler", handler), ("outcome", report.outcome.recordedName)])
            }
            let handlerKey = PerRequestSeries.Handler(tenant: tenant, handler: handler)
            if series.handlerDurations[handlerKey] == nil {
                series.handlerDurations[handlerKey] = registry.makeDurationHistogram(
                    descriptor: .init(namespace: "coregate", metricName: "handler_duration_seconds", helpText: "How long handlers run"),
                    labels: [("tenant", tenant), ("handler", handler)], buckets: Self.durationBuckets)
            }
            return (series.attempts[key]!, series.handlerDurations[handlerKey]!)
        }
        attempts.increment()
        durations.record(report.duration)
    }

    /// A handler run put off because the gateway was short of descriptors, processes or memory.
    func deferred(tenant: String, handler: String) {
        registry.makeCounter(
            descriptor: .init(
                namespace: "coregate", metricName: "handler_runs_deferred_total",
                helpText: "Handler runs not started because the gateway was short of resources (not attempts)"),
            labels: [("tenant", tenant), ("handler", handler)]
        ).increment()
    }

    /// A stream handler's worker was stopped and will start again (SPEC §7b), and why.
    func streamWorkerStopped(_ stop: StreamWorkerStop) {
        registry.makeCounter(
            descriptor: .init(
                namespace: "coregate", metricName: "stream_worker_restarts_total",
                helpText: "Stream handler workers stopped and started again, by reason"),
            labels: [("tenant", stop.tenant), ("handler", stop.handler), ("reason", stop.reason.rawValue)]
        ).increment()
    }

    /// One try of a reply action: `sent`, `retry` (it will be tried again) or `failed` (a dead letter).
    func reply(tenant: String, result: String) {
        registry.makeCounter(
            descriptor: .init(
                namespace: "coregate", metricName: "reply_actions_total",
                helpText: "Reply actions by tenant and result: sent, retry (tried again later), failed (dead letter)"),
            labels: [("tenant", tenant), ("result", result)]
        ).increment()
    }

    /// The exposition text, with the queue's gauges read fresh from the store.
    func scrape(store: any Store, runningHandlers: Int) async -> [UInt8] {
        registry.makeGauge(
            descriptor: .init(namespace: "coregate", metricName: "handlers_running", helpText: "Handler processes running now")
        ).set(Double(runningHandlers))
        if let stats = try? await store.stats() {
            for tenant in stats {
                for state in DeliveryState.allCases where !state.isFinished {
                    registry.makeGauge(
                        descriptor: .init(namespace: "coregate", metricName: "queue_depth", helpText: "Unfinished deliveries by state"),
                        labels: [("tenant", tenant.tenant), ("state", state.rawValue)]
                    ).set(Double(tenant.deliveries[state] ?? 0))
                }
                registry.makeGauge(
                    descriptor: .init(namespace: "coregate", metricName: "dead_letters", helpText: "Dead deliveries kept until replayed or purged"),
                    labels: [("tenant", tenant.tenant)]
                ).set(Double(tenant.deliveries[.dead] ?? 0))
                registry.makeGauge(
                    descriptor: .init(
                        namespace: "coregate", metricName: "oldest_pending_age_seconds", helpText: "Age of the oldest waiting delivery"),
                    labels: [("tenant", tenant.tenant)]
                ).set(tenant.oldestPendingAge.map { Double($0.components.seconds) } ?? 0)
            }
        }
        return registry.emitToBuffer()
    }

    var summary: String {
        let counts = answersByStatus.withLock { $0 }
        let total = counts.values.reduce(0, +)
        guard total > 0 else { return "0 requests" }
        let parts = counts.keys.sorted().map { "\($0): \(counts[$0]!)" }
        return "\(total) requests (\(parts.joined(separator: ", ")))"
    }
}

import CoregateStore
import CoregateTenants
import Foundation
import Logging
import Synchronization

/// Runs the queue: claims due deliveries within the free handler slots, runs each handler, and
/// records how it went. The store decides what is due (per-contact order, backoff), so this loop
/// only matches claims to slots and never holds the backlog in memory.
public final class Dispatcher: Sendable {
    private let store: Store
    private let runner: HandlerRunner
    private let slots: HandlerSlots
    private let configuration: @Sendable () -> Configuration
    private let logger: Logger
    private let attemptObserver: @Sendable (_ tenant: String, _ handler: String, _ report: AttemptReport) -> Void
    private let doorbell = Doorbell()
    private let stopping = Atomic<Bool>(false)

    /// `configuration` is read at every round, so a reload's limits and handlers apply at once.
    public init(
        store: Store, runner: HandlerRunner, slots: HandlerSlots,
        configuration: @escaping @Sendable () -> Configuration, logger: Logger,
        attemptObserver: @escaping @Sendable (_ tenant: String, _ handler: String, _ report: AttemptReport) -> Void = { _, _, _ in }
    ) {
        self.attemptObserver = attemptObserver
        self.store = store
        self.runner = runner
        self.slots = slots
        self.configuration = configuration
        self.logger = logger
    }

    /// There may be new work: events were stored, or the configuration changed.
    public func wake() {
        doorbell.ring()
    }

    /// Stops claiming; deliveries already running finish (each bounded by its handler's timeout)
    /// before `run()` returns. Everything not yet claimed stays queued for the next start.
    public func stop() {
        stopping.store(true, ordering: .relaxed)
        doorbell.ring()
    }

    public func run() async {
        await withDiscardingTaskGroup { group in
            while !stopping.load(ordering: .relaxed) {
                let configuration = self.configuration()
                let queueTenants = configuration.tenants.filter { $0.delivery.mode == .queue }
                let reserved = slots.reserveFree(
                    limits: Dictionary(uniqueKeysWithValues: queueTenants.map { ($0.id, $0.delivery.concurrency) }))
                let claims = await claim(reserved)
                var unused = reserved
                for claim in claims {
                    unused[claim.tenant, default: 0] -= 1
                    group.addTask {
                        await self.deliver(claim, configuration: configuration)
                        self.slots.release(tenant: claim.tenant)
                        self.doorbell.ring()
                    }
                }
                for (tenant, count) in unused { slots.release(tenant: tenant, count: count) }
                if claims.isEmpty || claims.count < reserved.values.reduce(0, +) {
                    await doorbell.wait(timeout: await untilNextDue(queueTenants.map(\.id)))
                }
            }
        }
    }

    private func claim(_ reserved: [String: Int]) async -> [Claim] {
        let total = reserved.values.reduce(0, +)
        guard total > 0 else { return [] }
        do {
            return try await store.claimReady(limitPerTenant: reserved, max: total)
        } catch {
            logger.error("cannot claim deliveries", metadata: ["error": "\(error)"])
            return []
        }
    }

    /// Sleeps until the earliest retry is due, but never long: a missed wake-up costs at most this.
    private func untilNextDue(_ tenants: [String]) async -> Duration {
        let longest = Duration.seconds(5)
        guard let next = try? await store.nextDueDate(tenants: tenants) else { return longest }
        let seconds = next.timeIntervalSinceNow
        guard seconds > 0 else { return .milliseconds(10) }
        return min(longest, .milliseconds(Int64(seconds * 1000) + 1))
    }

    private func deliver(_ claim: Claim, configuration: Configuration) async {
        var logger = self.logger
        logger[metadataKey: "tenant"] = "\(claim.tenant)"
        logger[metadataKey: "handler"] = "\(claim.handler)"
        logger[metadataKey: "event_id"] = "\(claim.eventID)"
        logger[metadataKey: "attempt"] = "\(claim.attempt)"

        let tenant = configuration.tenants.first { $0.id == claim.tenant }
        let policy = RetryPolicy(delivery: tenant?.delivery ?? DeliveryConfig())
        let report: AttemptReport
        if let tenant, let handler = tenant.handlers.first(where: { $0.name == claim.handler }) {
            let invocation = HandlerInvocation(
                tenant: tenant.id, handler: handler, eventID: claim.eventID, eventType: claim.eventType,
                eventJSON: claim.json, attempt: claim.attempt,
                stateDirectory: HandlerInvocation.stateDirectory(forTenant: tenant.id, under: configuration.global.stateDir))
            let result = await runner.run(invocation)
            // A cancelled run was cut short by the service stopping, not judged: crash recovery
            // will run it again with the next attempt number.
            if Task.isCancelled { return }
            report = AttemptReport(result)
        } else {
            report = AttemptReport(
                outcome: .notStarted, startedAt: Date(), duration: .zero,
                stdout: Array("handler \(claim.handler) is no longer configured for tenant \(claim.tenant)".utf8))
        }

        attemptObserver(claim.tenant, claim.handler, report)
        do {
            let completion = try await store.complete(claim, report: report, policy: policy)
            log(report, completion, logger: logger)
        } catch {
            logger.error("cannot record the attempt", metadata: ["error": "\(error)"])
        }
    }

    private func log(_ report: AttemptReport, _ completion: Completion, logger: Logger) {
        let metadata: Logger.Metadata = [
            "outcome": "\(report.outcome.rawValue)", "duration_ms": "\(report.duration.milliseconds)",
        ]
        switch (report.outcome, completion) {
        case (.succeeded, _):
            logger.info("delivered", metadata: metadata)
        case (.retryRequested, .retrying(let at)):
            logger.info("handler asked to be retried", metadata: metadata.merging(["retry_at": "\(at)"]) { $1 })
        case (_, .retrying(let at)):
            logger.warning("attempt failed; will retry", metadata: metadata.merging(["retry_at": "\(at)"]) { $1 })
        case (_, .dead):
            logger.error("attempts exhausted: dead letter (coregate replay to run it again)", metadata: metadata)
        case (_, .done):
            logger.info("delivered", metadata: metadata)
        }
    }
}

extension RetryPolicy {
    public init(delivery: DeliveryConfig) {
        self.init(
            maxAttempts: delivery.maxAttempts,
            backoff: Backoff(initialDelay: delivery.backoffInitial, maxDelay: delivery.backoffMax))
    }
}

extension AttemptReport {
    public init(_ result: HandlerResult) {
        var outcome = AttemptOutcome.failed
        var exitStatus: Int32?
        var signal: Int32?
        var stdout = result.standardOutput
        switch result.outcome {
        case .succeeded:
            outcome = .succeeded
            exitStatus = 0
        case .retryRequested:
            outcome = .retryRequested
            exitStatus = 75
        case .failed(let status):
            exitStatus = status
        case .signaled(let number):
            outcome = .signaled
            signal = number
        case .timedOut:
            outcome = .timedOut
        case .couldNotStart(let reason):
            outcome = .notStarted
            stdout = Array(reason.utf8)
        }
        self.init(
            outcome: outcome, startedAt: result.startedAt, duration: result.duration, exitStatus: exitStatus,
            signal: signal, stdout: stdout, stderrLines: result.standardErrorLineCount)
    }
}

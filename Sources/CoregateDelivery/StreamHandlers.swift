import CoregateStore
import CoregateTenants
import Logging
import Synchronization

/// Every stream handler of the service (`mode = "stream"`, SPEC §7b), each with its workers
/// (``StreamPool``), as the transport of their runs.
///
/// A reload replaces only the handlers whose configuration changed: the old workers get no more
/// events, finish what they were sent, and exit on end of input; the unchanged keep running.
public final class StreamHandlers: HandlerTransport {
    private let logger: Logger
    private let settings: StreamSettings
    /// Each tenant's uid (`handler_uids`): workers run as their tenant's, as exec handlers do.
    private let identities: TenantIdentities?
    private let observer: @Sendable (StreamWorkerStop) -> Void
    private let pools = Mutex<[Key: StreamPool]>([:])
    /// Replaced pools still draining, so a stop can wait for them too.
    private let retired = Mutex<[StreamPool]>([])

    struct Key: Hashable {
        var tenant: String
        var handler: String
    }

    public init(
        logger: Logger, settings: StreamSettings = StreamSettings(), identities: TenantIdentities? = nil,
        observer: @escaping @Sendable (StreamWorkerStop) -> Void = { _ in }
    ) {
        self.logger = logger
        self.settings = settings
        self.identities = identities
        self.observer = observer
    }

    /// Starts the workers of new and changed stream handlers, and retires the others.
    public func configure(_ configuration: Configuration) {
        var wanted: [Key: (tenant: String, handler: HandlerConfig, stateDirectory: String)] = [:]
        for tenant in configuration.tenants {
            for handler in tenant.handlers where handler.mode == .stream {
                wanted[Key(tenant: tenant.id, handler: handler.name)] = (
                    tenant.id, handler,
                    HandlerInvocation.stateDirectory(forTenant: tenant.id, under: configuration.global.stateDir)
                )
            }
        }
        let replaced: [StreamPool] = pools.withLock { pools in
            var replaced: [StreamPool] = []
            for (key, pool) in pools {
                guard let want = wanted[key], want.handler == pool.handler, want.stateDirectory == pool.stateDirectory else {
                    replaced.append(pool)
                    pools[key] = nil
                    continue
                }
            }
            for (key, want) in wanted where pools[key] == nil {
                pools[key] = StreamPool(
                    tenant: want.tenant, handler: want.handler, stateDirectory: want.stateDirectory, logger: logger,
                    settings: settings, identities: identities, observer: observer)
            }
            return replaced
        }
        replaced.forEach { $0.requestStop() }
        retired.withLock { retired in retired = retired.filter { !$0.isStopped } + replaced }
    }

    public func start(_ runs: [HandlerRun], sink: HandlerRunSink) {
        let byPool = Dictionary(grouping: runs) { Key(tenant: $0.invocation.tenant, handler: $0.invocation.handler.name) }
        var missing: [HandlerRun.Ended] = []
        for (key, runs) in byPool {
            guard let pool = pools.withLock({ $0[key] }) else {
                missing += runs.map { run in
                    HandlerRun.Ended(tag: run.tag, result: HandlerResult(
                        outcome: .couldNotStart(reason: "\(key.tenant)/\(key.handler) is not a stream handler of the running configuration"),
                        startedAt: .now, duration: .zero))
                }
                continue
            }
            pool.start(runs, sink: sink)
        }
        if !missing.isEmpty { sink.ended(missing) }
    }

    /// Stops every worker (see ``StreamPool/stop()``) and returns once all are gone.
    public func stop() async {
        let all = pools.withLock { pools in
            defer { pools = [:] }
            return Array(pools.values)
        } + retired.withLock { retired in
            defer { retired = [] }
            return retired
        }
        await withTaskGroup(of: Void.self) { group in
            for pool in all { group.addTask { await pool.stop() } }
        }
    }

    /// Kills every worker now; their outstanding events end as failed attempts (a stop that
    /// cannot wait).
    public func cancel() {
        pools.withLock { Array($0.values) }.forEach { $0.cancel() }
        retired.withLock { $0 }.forEach { $0.cancel() }
    }
}

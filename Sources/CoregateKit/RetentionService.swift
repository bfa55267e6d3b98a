import CoregateStore
import Foundation
import Logging
import ServiceLifecycle

/// Retention while the service runs: deletes delivered events past `retention`, every ten minutes.
///
/// A task of its own, apart from the heartbeat: pruning a large history takes many batches, and
/// the watchdog must keep beating meanwhile. Each batch is a short transaction, so ingest and the
/// dispatcher wait at most one batch for the write lock.
struct RetentionService: Service {
    let store: any Store
    let live: LiveConfiguration
    let logger: Logger

    static let pruneEvery = Duration.seconds(600)

    func run() async {
        await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                await prune()
                try? await Task.sleep(for: Self.pruneEvery)
            }
        }
    }

    private func prune() async {
        let retention = live.configuration.global.retention
        let cutoff = Date().addingTimeInterval(-Double(retention.components.seconds))
        do {
            let pruned = try await store.prune(doneOlderThan: cutoff)
            if pruned > 0 { logger.info("pruned delivered events past their retention", metadata: ["events": "\(pruned)"]) }
        } catch {
            logger.error("cannot prune delivered events", metadata: ["error": "\(error)"])
        }
    }
}

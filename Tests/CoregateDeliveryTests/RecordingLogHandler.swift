import Logging
import Synchronization

/// Keeps what a runner logs, so a test can read the handler's stderr lines back.
/// Holds at most `capacity` messages, however much a handler writes, but counts them all.
struct RecordingLogHandler: LogHandler {
    final class Records: Sendable {
        struct Entry: Sendable {
            var level: Logger.Level
            var message: String
            var metadata: Logger.Metadata
        }

        struct State {
            var kept: [Entry] = []
            var count = 0
            var longestMessage = 0
        }

        let capacity = 1000
        private let state = Mutex(State())

        func add(_ entry: Entry) {
            state.withLock { state in
                state.count += 1
                state.longestMessage = max(state.longestMessage, entry.message.utf8.count)
                if state.kept.count < capacity {
                    state.kept.append(entry)
                }
            }
        }

        var entries: [Entry] { state.withLock { $0.kept } }
        var count: Int { state.withLock { $0.count } }
        var longestMessage: Int { state.withLock { $0.longestMessage } }
    }

    let records: Records
    var metadata: Logger.Metadata = [:]
    var metadataProvider: Logger.MetadataProvider?
    var logLevel: Logger.Level = .trace

    init(records: Records) {
        self.records = records
    }

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        records.add(.init(
            level: event.level, message: event.message.description,
            metadata: metadata.merging(event.metadata ?? [:]) { $1 }))
    }
}

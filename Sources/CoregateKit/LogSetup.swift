import CoregateSystemd
import Foundation
import Logging

enum LogSetup {
    /// Under systemd, records go to the journal with their fields; otherwise one line each on stderr.
    static func bootstrap(level: String) -> Logger {
        let logLevel = Logger.Level(rawValue: level) ?? .info
        let toJournal = JournalLogHandler.isJournalStream(environment: ProcessInfo.processInfo.environment)
        LoggingSystem.bootstrap { _ in
            var handler: any LogHandler =
                toJournal ? JournalLogHandler(identifier: "coregate") : StandardErrorLogHandler()
            handler.logLevel = logLevel
            return handler
        }
        return Logger(label: "coregate")
    }
}

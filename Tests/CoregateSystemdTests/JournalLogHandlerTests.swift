import Glibc
import Logging
import Testing

@testable import CoregateSystemd

@Suite("journal fields")
struct JournalFieldTests {
    @Test("metadata keys become journal field names: upper-case A–Z, 0–9 and _, never leading _")
    func fieldNames() {
        #expect(JournalLogHandler.fieldName("tenant") == "TENANT")
        #expect(JournalLogHandler.fieldName("event-id") == "EVENT_ID")
        #expect(JournalLogHandler.fieldName("phone.number_id2") == "PHONE_NUMBER_ID2")
        // A leading _ would claim a trusted field such as _PID, which journald would drop.
        #expect(JournalLogHandler.fieldName("_pid") == "PID")
        #expect(JournalLogHandler.fieldName("ñandú") == "AND_", "non-ASCII letters are not allowed either")
        #expect(JournalLogHandler.fieldName("-") == "FIELD")
    }

    @Test("log levels map to syslog priorities")
    func priorities() {
        let levels: [Logger.Level] = [.trace, .debug, .info, .notice, .warning, .error, .critical]
        #expect(levels.map(JournalLogHandler.priority) == [7, 7, 6, 5, 4, 3, 2])
    }
}

@Suite("journal stream")
struct JournalStreamTests {
    @Test("stderr is the journal stream only when JOURNAL_STREAM names stderr's device and inode")
    func journalStream() {
        var status = stat()
        #expect(fstat(STDERR_FILENO, &status) == 0)
        #expect(JournalLogHandler.isJournalStream(environment: ["JOURNAL_STREAM": "\(status.st_dev):\(status.st_ino)"]))
        // Inherited from a parent whose stderr was the journal, while ours was redirected elsewhere.
        #expect(!JournalLogHandler.isJournalStream(environment: ["JOURNAL_STREAM": "\(status.st_dev):\(status.st_ino + 1)"]))
        #expect(!JournalLogHandler.isJournalStream(environment: [:]))
    }
}

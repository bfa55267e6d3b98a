import CSystemd
import Glibc
import Logging

/// Sends each record to journald as structured fields, so an operator can filter with
/// `journalctl -u coregate TENANT=acme`. Metadata keys become upper-case field names.
public struct JournalLogHandler: LogHandler {
    public var metadata: Logger.Metadata = [:]
    public var logLevel: Logger.Level = .info
    private let identifier: String

    public init(identifier: String) {
        self.identifier = identifier
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    public func log(event: LogEvent) {
        var fields = [
            "MESSAGE=\(event.message)",
            "PRIORITY=\(Self.priority(event.level))",
            "SYSLOG_IDENTIFIER=\(identifier)",
        ]
        let merged = self.metadata.merging(event.metadata ?? [:]) { $1 }
        for (key, value) in merged {
            fields.append("\(Self.fieldName(key))=\(value)")
        }
        Self.send(fields)
    }

    /// True when stderr is the journal stream systemd set up, so records belong in the journal
    /// rather than on stderr (where they would lose their fields).
    public static func isJournalStream(environment: [String: String]) -> Bool {
        guard let stream = environment["JOURNAL_STREAM"] else { return false }
        var status = stat()
        guard fstat(STDERR_FILENO, &status) == 0 else { return false }
        return stream == "\(status.st_dev):\(status.st_ino)"
    }

    static func priority(_ level: Logger.Level) -> Int {
        switch level {
        case .trace, .debug: return 7
        case .info: return 6
        case .notice: return 5
        case .warning: return 4
        case .error: return 3
        case .critical: return 2
        }
    }

    /// Journal field names allow only A–Z, 0–9 and `_`, and may not start with `_` (those are trusted fields).
    static func fieldName(_ key: String) -> String {
        let mapped = key.uppercased().map { $0.isLetter && $0.isASCII || $0.isNumber && $0.isASCII ? $0 : "_" }
        let name = String(mapped.drop(while: { $0 == "_" }))
        return name.isEmpty ? "FIELD" : name
    }

    private static func send(_ fields: [String]) {
        let cStrings = fields.map { strdup($0)! }
        defer { cStrings.forEach { free($0) } }
        var vectors = cStrings.map { iovec(iov_base: UnsafeMutableRawPointer($0), iov_len: strlen($0)) }
        _ = sd_journal_sendv(&vectors, Int32(vectors.count))
    }
}

import CoregateWhatsApp
import Glibc
import Logging

/// One line per record on stderr, when no journal takes the records: the time in UTC, the level,
/// the fields sorted by name as `key=value`, then the message:
///
///     2026-12-03T12:31:42.123Z info duplicates=0 request_id=9f… stored=1 tenant=acme unowned=0 stored
///
/// It replaces swift-log's `StreamLogHandler` because the access log writes a line for every
/// request, and that handler cost about a tenth of the gateway's CPU per request in profiles
/// (docs/performance.md): it formats the time with `localtime_r`, which stats `/etc/localtime`
/// on every call when `TZ` is unset, and builds the line from many small strings. This one writes
/// the UTC time (`RFC3339`, from the clock's own count) and the line into one buffer, written with one
/// `write(2)`, so records from several threads do not interleave within a line.
///
/// It holds only the fields and the level, so a `Logger` keeps it inline: the gateway's logger
/// takes a request id and a tenant for each request, and a handler that needed a box of its
/// own would cost an allocation each time.
struct StandardErrorLogHandler: LogHandler {
    var metadata: Logger.Metadata = [:]
    var logLevel: Logger.Level = .info

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        var line: [UInt8] = []
        line.reserveCapacity(256)
        Self.appendTimestamp(to: &line)
        line.append(0x20)
        line.append(contentsOf: event.level.rawValue.utf8)
        // One allocation for both sets of fields, sized up front.
        let recordFields = event.metadata ?? [:]
        var fields: [(key: String, value: Logger.MetadataValue)] = []
        fields.reserveCapacity(metadata.count + recordFields.count)
        for (key, value) in metadata where recordFields.isEmpty || recordFields[key] == nil { fields.append((key, value)) }
        for (key, value) in recordFields { fields.append((key, value)) }
        fields.sort { $0.key < $1.key }
        for (key, value) in fields {
            line.append(0x20)
            line.append(contentsOf: key.utf8)
            line.append(0x3D)
            if case .string(let text) = value {
                line.append(contentsOf: text.utf8)
            } else {
                line.append(contentsOf: value.description.utf8)
            }
        }
        line.append(0x20)
        line.append(contentsOf: event.message.description.utf8)
        line.append(0x0A)
        Self.write(line)
    }

    /// `2026-12-03T12:31:42.123Z`.
    static func appendTimestamp(to line: inout [UInt8], now: timespec = Self.now()) {
        RFC3339.append(millisecondsSince1970: Int64(now.tv_sec) * 1000 + Int64(now.tv_nsec) / 1_000_000, to: &line)
    }

    private static func now() -> timespec {
        var now = timespec()
        clock_gettime(CLOCK_REALTIME, &now)
        return now
    }

    private static func write(_ line: [UInt8]) {
        line.withUnsafeBytes { bytes in
            var offset = 0
            while offset < bytes.count {
                let written = Glibc.write(STDERR_FILENO, bytes.baseAddress! + offset, bytes.count - offset)
                if written > 0 {
                    offset += written
                } else if written < 0 && errno == EINTR {
                    continue
                } else {
                    return  // stderr is gone or full: a log line is not worth blocking or crashing for
                }
            }
        }
    }
}

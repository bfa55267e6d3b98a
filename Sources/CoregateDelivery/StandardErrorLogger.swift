#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Logging

/// Logs a handler's stderr one line at a time, as the journal wants it, and counts the lines.
///
/// Memory stays bounded whatever the handler writes: a line longer than `maxLineBytes` is cut,
/// its rest is skipped (and only counted), and the line is logged when its newline arrives.
struct StandardErrorLogger {
    private let logger: Logger
    private let maxLineBytes: Int
    private var line: [UInt8] = []
    /// Bytes of the current line beyond `maxLineBytes`, skipped.
    private var skippedBytes = 0
    private(set) var lineCount = 0

    /// `logger` should already carry the metadata that says whose handler this is.
    init(logger: Logger, maxLineBytes: Int) {
        self.logger = logger
        self.maxLineBytes = maxLineBytes
        line.reserveCapacity(min(maxLineBytes, 256))
    }

    mutating func consume(_ chunk: UnsafeRawBufferPointer) {
        guard var start = chunk.baseAddress, !chunk.isEmpty else { return }
        let end = start + chunk.count
        while start < end {
            // memchr, not a loop over bytes: a handler may write tens of MiB.
            if let found = memchr(start, Int32(UInt8(ascii: "\n")), end - start) {
                let newline = UnsafeRawPointer(found)
                keep(UnsafeRawBufferPointer(start: start, count: newline - start))
                emitLine()
                start = newline + 1
            } else {
                keep(UnsafeRawBufferPointer(start: start, count: end - start))
                start = end
            }
        }
    }

    /// Logs a last line that had no newline.
    mutating func finish() {
        if !line.isEmpty || skippedBytes > 0 {
            emitLine()
        }
    }

    private mutating func keep(_ bytes: UnsafeRawBufferPointer) {
        let room = maxLineBytes - line.count
        line.append(contentsOf: bytes.prefix(max(room, 0)))
        skippedBytes += max(bytes.count - room, 0)
    }

    private mutating func emitLine() {
        if skippedBytes == 0, line.last == UInt8(ascii: "\r") {
            line.removeLast()
        }
        var text = String(decoding: line, as: UTF8.self)
        if skippedBytes > 0 {
            text += " [\(skippedBytes) more bytes cut]"
        }
        logger.info("\(text)")
        lineCount += 1
        line.removeAll(keepingCapacity: true)
        skippedBytes = 0
    }
}

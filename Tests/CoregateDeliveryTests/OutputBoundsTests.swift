@testable import CoregateDelivery
import Logging
import Testing

@Suite("Output bounds")
struct OutputBoundsTests {
    @Test("stdout keeps the first bytes up to the limit and says it was cut")
    func boundedOutput() {
        var output = BoundedOutput(limit: 5)
        append([1, 2, 3], to: &output)
        #expect(output.bytes == [1, 2, 3] && !output.truncated)
        append([4, 5], to: &output)
        #expect(output.bytes == [1, 2, 3, 4, 5] && !output.truncated)
        append([6], to: &output)
        append([7, 8], to: &output)
        #expect(output.bytes == [1, 2, 3, 4, 5] && output.truncated)
    }

    @Test("stderr lines are logged whole across chunks, with CR LF and a last line without newline")
    func linesAcrossChunks() {
        let records = RecordingLogHandler.Records()
        var lines = StandardErrorLogger(logger: logger(records), maxLineBytes: 100)
        for chunk in ["fir", "st\nsecond\r\n", "\nthi", "rd"] {
            Array(chunk.utf8).withUnsafeBytes { lines.consume($0) }
        }
        lines.finish()
        #expect(records.entries.map(\.message) == ["first", "second", "", "third"])
        #expect(lines.lineCount == 4)
    }

    @Test("a stderr line over the limit is cut and says how much was skipped")
    func longLineIsCut() {
        let records = RecordingLogHandler.Records()
        var lines = StandardErrorLogger(logger: logger(records), maxLineBytes: 4)
        Array("abcdefgh".utf8).withUnsafeBytes { lines.consume($0) }
        Array("ij\nok\n".utf8).withUnsafeBytes { lines.consume($0) }
        lines.finish()
        #expect(records.entries.map(\.message) == ["abcd [6 more bytes cut]", "ok"])
    }

    private func append(_ bytes: [UInt8], to output: inout BoundedOutput) {
        bytes.withUnsafeBytes { output.append($0) }
    }

    private func logger(_ records: RecordingLogHandler.Records) -> Logger {
        Logger(label: "test") { _ in RecordingLogHandler(records: records) }
    }
}

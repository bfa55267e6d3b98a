import Glibc
import Testing

@testable import CoregateKit

/// The log line's time is computed from the clock's seconds rather than by the C library, so the
/// calendar arithmetic is checked here against dates worked out elsewhere.
@Suite("stderr log line timestamps")
struct StandardErrorLogHandlerTests {
    @Test(
        "seconds since 1970 are written as a UTC time with milliseconds",
        arguments: [
            (0, 0, "1970-01-01T00:00:00.000Z"),
            (1_709_251_199, 999_999_999, "2024-02-29T23:59:59.999Z"),
            (951_868_800, 5_000_000, "2000-03-01T00:00:00.005Z"),
            (946_684_799, 120_000_000, "1999-12-31T23:59:59.120Z"),
            (1_796_301_102, 42_000_000, "2026-12-03T12:31:42.042Z"),
            (4_107_568_089, 0, "2100-03-01T07:08:09.000Z"),
        ])
    func timestamp(seconds: Int, nanoseconds: Int, expected: String) {
        var line: [UInt8] = []
        StandardErrorLogHandler.appendTimestamp(to: &line, now: timespec(tv_sec: seconds, tv_nsec: nanoseconds))
        #expect(String(decoding: line, as: UTF8.self) == expected)
    }
}

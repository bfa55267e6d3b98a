import CSystemd
import Glibc

/// Tells systemd (`Type=notify`) where the service stands. Every call is a no-op without `NOTIFY_SOCKET`.
public struct SystemdNotifier: Sendable {
    public init() {}

    public func ready(status: String) {
        send("READY=1\nSTATUS=\(status)")
    }

    public func status(_ status: String) {
        send("STATUS=\(status)")
    }

    /// systemd 252 has no `Type=notify-reload`, but it still shows "reloading" and waits for READY=1
    /// when told; MONOTONIC_USEC lets newer managers tie the message to this reload.
    public func reloading() {
        send("RELOADING=1\nMONOTONIC_USEC=\(Self.monotonicMicroseconds())")
    }

    public func stopping(status: String) {
        send("STOPPING=1\nSTATUS=\(status)")
    }

    public func watchdog() {
        send("WATCHDOG=1")
    }

    /// How often to send WATCHDOG=1: half the interval systemd asked for, or nil when it asked for none.
    public var watchdogInterval: Duration? {
        var usec: UInt64 = 0
        guard sd_watchdog_enabled(0, &usec) > 0, usec > 0 else { return nil }
        return .microseconds(Int64(usec / 2))
    }

    private func send(_ message: String) {
        _ = sd_notify(0, message)
    }

    private static func monotonicMicroseconds() -> UInt64 {
        var now = timespec()
        clock_gettime(CLOCK_MONOTONIC, &now)
        return UInt64(now.tv_sec) * 1_000_000 + UInt64(now.tv_nsec) / 1_000
    }
}

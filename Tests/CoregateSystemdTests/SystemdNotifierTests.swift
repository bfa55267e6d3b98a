import Glibc
import Testing

@testable import CoregateSystemd

extension ProcessEnvironment {
    /// The `sd_notify` datagrams systemd reads for a `Type=notify` service, received on a socket
    /// of the test's own.
    @Suite("systemd notifier")
    struct SystemdNotifierTests {
        /// What the notifier sends while `NOTIFY_SOCKET` points at a fresh socket.
        private func messages(_ send: (SystemdNotifier) -> Void) throws -> [String] {
            let socket = try NotifySocket()
            withEnvironment(["NOTIFY_SOCKET": socket.path]) { send(SystemdNotifier()) }
            return socket.received()
        }

        @Test("ready sends READY=1 with the status line in one datagram")
        func ready() throws {
            #expect(try messages { $0.ready(status: "3 tenants; listening on :8443") }
                == ["READY=1\nSTATUS=3 tenants; listening on :8443"])
        }

        @Test("status sends only STATUS=")
        func status() throws {
            #expect(try messages { $0.status("2 queued") } == ["STATUS=2 queued"])
        }

        @Test("stopping sends STOPPING=1 with the reason")
        func stopping() throws {
            #expect(try messages { $0.stopping(status: "draining") } == ["STOPPING=1\nSTATUS=draining"])
        }

        @Test("watchdog sends WATCHDOG=1")
        func watchdog() throws {
            #expect(try messages { $0.watchdog() } == ["WATCHDOG=1"])
        }

        @Test("reloading sends RELOADING=1 with the CLOCK_MONOTONIC time of the call")
        func reloading() throws {
            // systemd compares MONOTONIC_USEC with its own CLOCK_MONOTONIC reading, so the value must
            // come from that clock: it lies between two readings taken around the call.
            let before = monotonicMicroseconds()
            let sent = try messages { $0.reloading() }
            let after = monotonicMicroseconds()
            let message = try #require(sent.first)
            #expect(sent.count == 1)
            let lines = message.split(separator: "\n")
            #expect(lines.first == "RELOADING=1")
            let stamp = try #require(lines.last.flatMap { $0.hasPrefix("MONOTONIC_USEC=") ? UInt64($0.dropFirst(15)) : nil })
            #expect((before...after).contains(stamp))
        }

        @Test("without NOTIFY_SOCKET nothing is sent and nothing fails")
        func noSocket() throws {
            // The socket exists, but the notifier is not told about it: started by hand, the
            // gateway must not reach for a socket on its own.
            let socket = try NotifySocket()
            withEnvironment(["NOTIFY_SOCKET": nil]) { SystemdNotifier().ready(status: "up") }
            withEnvironment(["NOTIFY_SOCKET": socket.path]) { SystemdNotifier().status("after") }
            #expect(socket.received() == ["STATUS=after"])
        }

        @Test("the watchdog is fed at half the interval systemd asked for")
        func watchdogInterval() {
            let interval = withEnvironment(["WATCHDOG_USEC": "3000000", "WATCHDOG_PID": "\(getpid())"]) {
                SystemdNotifier().watchdogInterval
            }
            #expect(interval == .milliseconds(1500))
        }

        @Test("no watchdog interval without WATCHDOG_USEC, or when it was meant for another process")
        func noWatchdog() {
            let unset = withEnvironment(["WATCHDOG_USEC": nil, "WATCHDOG_PID": nil]) { SystemdNotifier().watchdogInterval }
            #expect(unset == nil)
            // A child that inherited its parent's variables must not think the watchdog is its own.
            let otherProcess = withEnvironment(["WATCHDOG_USEC": "3000000", "WATCHDOG_PID": "\(getppid())"]) {
                SystemdNotifier().watchdogInterval
            }
            #expect(otherProcess == nil)
        }
    }
}

private func monotonicMicroseconds() -> UInt64 {
    var now = timespec()
    clock_gettime(CLOCK_MONOTONIC, &now)
    return UInt64(now.tv_sec) * 1_000_000 + UInt64(now.tv_nsec) / 1_000
}

import Glibc
import Testing

@testable import CoregateSystemd

extension ProcessEnvironment {
    /// Socket activation: systemd passes listening sockets from fd 3 on, with `LISTEN_FDS`,
    /// `LISTEN_PID` and `LISTEN_FDNAMES`. Placing sockets at fd 3 would clobber whatever the test
    /// runner keeps there, so those tests run in a child process of their own (an exit test).
    @Suite("inherited listen sockets")
    struct ListenSocketTests {
        @Test("two sockets are found at fd 3 and 4 with their names, close-on-exec, and the variables are gone")
        func namedSockets() async {
            await #expect(processExitsWith: .success) {
                handOver(listeningSockets: 2, names: "https:metrics")
                let found = ListenSocket.inherited()
                check(found == [ListenSocket(fd: 3, name: "https"), ListenSocket(fd: 4, name: "metrics")], 10, "sockets: \(found)")
                // Handlers are spawned children: they must neither see the variables nor inherit the sockets.
                let variables: [String] = ["LISTEN_PID", "LISTEN_FDS", "LISTEN_FDNAMES"]
                check(variables.allSatisfy { getenv($0) == nil }, 11, "LISTEN_* still set")
                check(fcntl(3, F_GETFD) & FD_CLOEXEC != 0 && fcntl(4, F_GETFD) & FD_CLOEXEC != 0, 12, "not close-on-exec")
                exit(EXIT_SUCCESS)
            }
        }

        @Test("a socket without FileDescriptorName= is called unknown, as systemd does")
        func unnamedSocket() async {
            await #expect(processExitsWith: .success) {
                handOver(listeningSockets: 1, names: nil)
                let found = ListenSocket.inherited()
                check(found == [ListenSocket(fd: 3, name: "unknown")], 10, "sockets: \(found)")
                exit(EXIT_SUCCESS)
            }
        }

        @Test("sockets meant for another process are not taken, and the variables are still removed")
        func otherProcess() {
            // A child that inherited its parent's LISTEN_* must not treat the parent's fds as its own.
            // libsystemd returns before it touches any fd, so this runs safely in the test process.
            let found = withEnvironment(["LISTEN_PID": "\(getppid())", "LISTEN_FDS": "1", "LISTEN_FDNAMES": "https"]) {
                (ListenSocket.inherited(), getenv("LISTEN_FDS"), getenv("LISTEN_PID"))
            }
            #expect(found.0 == [])
            #expect(found.1 == nil && found.2 == nil)
        }

        @Test("started by hand, with no LISTEN_* at all, there are no sockets")
        func startedByHand() {
            let found = withEnvironment(["LISTEN_PID": nil, "LISTEN_FDS": nil, "LISTEN_FDNAMES": nil]) {
                ListenSocket.inherited()
            }
            #expect(found == [])
        }
    }
}

/// In an exit test's child: bind `count` TCP listening sockets on loopback, move them to fd 3
/// onwards as systemd would, and set the variables for this process.
private func handOver(listeningSockets count: Int, names: String?) {
    for index in 0..<count {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = UInt32(0x7f00_0001).bigEndian
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        check(fd >= 0 && bound == 0 && listen(fd, 8) == 0, 2, "cannot listen: errno \(errno)")
        let target = 3 + Int32(index)
        // When fd 3 was free, socket() may already have put it there: closing it would lose it.
        guard fd != target else { continue }
        check(dup2(fd, target) == target, 3, "cannot move the socket to fd \(target)")
        close(fd)
    }
    setenv("LISTEN_PID", "\(getpid())", 1)
    setenv("LISTEN_FDS", "\(count)", 1)
    if let names { setenv("LISTEN_FDNAMES", names, 1) } else { unsetenv("LISTEN_FDNAMES") }
}

/// An exit test reports only through its exit status, so each check exits with a code of its own
/// (2–3: the set-up failed; 10: wrong sockets; 11: variables left; 12: not close-on-exec), and
/// says more on stderr for whoever runs the child by hand.
private func check(_ condition: Bool, _ code: Int32, _ message: @autoclosure () -> String) {
    guard !condition else { return }
    let line = Array("check failed: \(message())\n".utf8)
    _ = write(STDERR_FILENO, line, line.count)
    exit(code)
}

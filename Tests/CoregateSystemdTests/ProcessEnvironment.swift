import Glibc
import Testing

/// Every suite here sets `NOTIFY_SOCKET`, `WATCHDOG_*` or `LISTEN_*`, which are
/// process-wide and which libsystemd reads with `getenv`. Nesting the suites under one serialized
/// parent keeps two tests from changing the environment under each other.
@Suite(.serialized)
enum ProcessEnvironment {}

/// Runs `body` with `variables` set (nil unsets one), then puts the previous values back.
func withEnvironment<T>(_ variables: [String: String?], _ body: () throws -> T) rethrows -> T {
    let previous = variables.keys.map { name in (name, getenv(name).map { String(cString: $0) }) }
    defer {
        for (name, value) in previous { set(name, value) }
    }
    for (name, value) in variables { set(name, value) }
    return try body()
}

private func set(_ name: String, _ value: String?) {
    if let value { setenv(name, value, 1) } else { unsetenv(name) }
}

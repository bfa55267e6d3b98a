#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// How many connections the open-file limit leaves room for once handlers, the store and the
/// runtime have theirs. Past the limit, accepting a connection and spawning a handler both fail
/// with EMFILE, so idle connections alone could stop every delivery; `max_connections` is therefore
/// held below what the limit leaves.
struct DescriptorBudget {
    /// The store (database, WAL, shared memory), the listening sockets, each event loop's epoll
    /// and wake-up descriptors, the journal and notify sockets, with room to spare.
    static let runtime = 64
    /// A handler's standard input, output and error: a pipe each, both ends open while it starts.
    static let perHandler = 6
    /// Fewer connections than this is no service at all: the configuration is refused.
    static let fewestConnections = 16

    let openFileLimit: Int
    let concurrency: Int

    var reserved: Int { Self.runtime + Self.perHandler * concurrency }
    var connections: Int { openFileLimit - reserved }

    /// Clamps `max_connections` to what the limit leaves, with a warning; refuses a limit that
    /// leaves fewer than `fewestConnections`. Placed at `max_connections` in the global file.
    static func apply(to config: inout GlobalConfig, openFileLimit: Int, log: ProblemLog?) -> [ConfigProblem] {
        let budget = DescriptorBudget(openFileLimit: openFileLimit, concurrency: config.concurrency)
        let why = "the open-file limit (RLIMIT_NOFILE, LimitNOFILE= under systemd) is \(openFileLimit), and "
            + "\(budget.reserved) of those are kept for \(config.concurrency) handlers (concurrency), the store and the runtime"
        if budget.connections < fewestConnections {
            return [GlobalFileParser.problem(
                at: "max_connections", "\(why): that leaves room for \(max(budget.connections, 0)) connections; "
                    + "raise the limit to at least \(budget.reserved + fewestConnections)", log: log)]
        }
        guard config.maxConnections > budget.connections else { return [] }
        let asked = config.maxConnections
        config.maxConnections = budget.connections
        return [GlobalFileParser.problem(
            at: "max_connections", "max_connections is \(asked), but \(why): serving at most \(budget.connections) "
                + "connections; raise the limit or lower max_connections", log: log, severity: .warning)]
    }
}

/// The process's own limit on open files.
public enum OpenFileLimit {
    /// Raises the soft limit to the hard one first, as a server is expected to (the soft limit
    /// stays low only for programs that still use select()); where that is not allowed, as under
    /// the unit's system call filter, the soft limit is what `LimitNOFILE=` set.
    public static func raised() -> Int {
        var limit = rlimit()
        guard getrlimit(resource, &limit) == 0 else { return Int.max }
        if limit.rlim_cur < limit.rlim_max {
            var wanted = limit
            wanted.rlim_cur = limit.rlim_max
            if setrlimit(resource, &wanted) == 0 { limit = wanted }
        }
        return Int(clamping: limit.rlim_cur)  // RLIM_INFINITY, all ones, clamps to Int.max
    }

    #if canImport(Glibc)
    private static let resource = __rlimit_resource_t(RLIMIT_NOFILE.rawValue)
    #else
    private static let resource = RLIMIT_NOFILE
    #endif
}

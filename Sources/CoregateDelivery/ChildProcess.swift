import CSpawn

#if canImport(Glibc)
import Glibc
#endif

/// One handler process from the moment it is spawned until it is reaped, with the parent's ends
/// of its pipes. Spawning blocks only the calling thread, so handlers start from many threads at
/// once (swift-subprocess 1.0.2 runs every spawn on one shared thread, which capped the rate).
struct ChildProcess {
    let pid: pid_t
    /// Readable once the process has exited; -1 on kernels without pidfd_open (before 5.3).
    let pidfd: Int32
    var standardInput: Int32
    var standardOutput: Int32
    var standardError: Int32

    /// Why a spawn failed: the handler's own fault (its command), or the gateway's (it ran out of
    /// descriptors, processes or memory), which must not count against the handler.
    struct SpawnError: Error {
        let errno: Int32

        var isResourceShortage: Bool {
            [EMFILE, ENFILE, EAGAIN, ENOMEM].contains(errno)
        }

        var description: String { String(cString: strerror(errno)) }
    }

    /// Starts `path` as the leader of a new process group, in `workingDirectory`, with exactly
    /// `environment` and only fds 0–2 open (see `coregate_spawn`); as `identity` when one is
    /// given, else as the service's own user; `niceness` below the calling thread's CPU priority.
    static func spawn(
        path: String, arguments: [String], environment: [String], workingDirectory: String,
        identity: HandlerIdentity? = nil, niceness: Int32 = 0
    ) throws(SpawnError) -> ChildProcess {
        let nice = niceness > 0 ? loweredPriority(by: niceness) : nil
        var child = coregate_child()
        var status: Int32 = 0
        // ETXTBSY: the program was just written, and another thread's child, between its fork and
        // its exec, still held the writer's descriptor. That passes within milliseconds, or a few
        // hundred on a machine so loaded that the child waits for a core between the two.
        for pause in [0, 1, 5, 20, 100, 300, 600] {
            if pause > 0 { usleep(useconds_t(pause * 1000)) }
            status = CStringArray(arguments).withPointers { argv in
                CStringArray(environment).withPointers { envp in
                    // posix_spawn has no attribute for the priority: a lower one takes the clone
                    // that sets it before the exec, as it sets a tenant's ids.
                    guard identity != nil || nice != nil else {
                        return coregate_spawn(path, argv, envp, workingDirectory, nil, &child)
                    }
                    var setUp = coregate_identity(
                        change_ids: identity == nil ? 0 : 1, uid: identity?.uid ?? 0, gid: identity?.gid ?? 0,
                        lower_priority: nice == nil ? 0 : 1, nice: nice ?? 0)
                    return coregate_spawn(path, argv, envp, workingDirectory, &setUp, &child)
                }
            }
            if status != ETXTBSY { break }
        }
        guard status == 0 else { throw SpawnError(errno: status) }
        return ChildProcess(
            pid: child.pid, pidfd: child.pidfd, standardInput: child.stdin_fd, standardOutput: child.stdout_fd,
            standardError: child.stderr_fd)
    }

    /// The nice value `niceness` below the calling thread's (lowering needs no privilege).
    private static func loweredPriority(by niceness: Int32) -> Int32? {
        errno = 0
        let own = getpriority(__priority_which_t(PRIO_PROCESS.rawValue), 0)
        return errno == 0 ? min(19, own + niceness) : nil
    }

    /// Signals the whole group. Only valid before `reap()`: until then the pid, which is the
    /// group's id, cannot belong to anyone else.
    func signalGroup(_ signal: Int32) {
        kill(-pid, signal)
    }

    /// Waits for the (already exited) process and closes every descriptor still open.
    mutating func reap() -> Termination {
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
        for fd in [pidfd, standardInput, standardOutput, standardError] where fd >= 0 { close(fd) }
        (standardInput, standardOutput, standardError) = (-1, -1, -1)
        // WIFEXITED and friends are macros Swift cannot import.
        let signal = status & 0x7f
        return signal == 0 ? .exited(status: (status >> 8) & 0xff) : .signaled(signal: signal)
    }

    enum Termination: Equatable {
        case exited(status: Int32)
        case signaled(signal: Int32)
    }
}

/// NULL-terminated C string arrays for argv and envp, alive for the duration of one call.
private struct CStringArray {
    let strings: [String]

    init(_ strings: [String]) {
        self.strings = strings
    }

    func withPointers<Result>(_ body: (UnsafePointer<UnsafeMutablePointer<CChar>?>) -> Result) -> Result {
        var pointers: [UnsafeMutablePointer<CChar>?] = strings.map { strdup($0) }
        pointers.append(nil)
        defer { pointers.forEach { free($0) } }
        return pointers.withUnsafeBufferPointer { body($0.baseAddress!) }
    }
}

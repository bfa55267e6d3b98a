import Dispatch
import Subprocess

#if canImport(Glibc)
import Glibc
#endif

/// Waits until a handler process has exited, without reaping it.
///
/// swift-subprocess reaps the process only after the runner's body returns, so while this waits
/// the handler's pid (which is also its process group id) cannot be given to another process,
/// and signalling the group can reach only the handler and its descendants.
///
/// The end of stdout and stderr says nothing here: a handler may close or redirect both and go
/// on running, and a grandchild may hold them open after the handler is gone.
enum ProcessExit {
    static func wait(for process: ProcessIdentifier) async {
        guard process.processDescriptor >= 0 else {
            return await pollWithoutPidfd(process.value)
        }
        // A pidfd becomes readable when the process exits; Dispatch watches it with epoll,
        // so no thread is blocked while a handler runs.
        // No cancellation handler on purpose: the runner must know when the handler is really gone,
        // and a cancelled run still ends with the process killed by swift-subprocess's teardown.
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let source = DispatchSource.makeReadSource(fileDescriptor: process.processDescriptor, queue: .global())
            source.setEventHandler { source.cancel() }
            // Resumed only once the source is unregistered, because swift-subprocess closes the pidfd
            // soon after the runner's body returns.
            source.setCancelHandler { continuation.resume() }
            source.activate()
        }
    }

    /// Kernels before 5.3 have no pidfd; swift-subprocess then hands out -1. Debian 12 has 6.1,
    /// so this is only a fallback: `waitid` with `WNOWAIT` asks without reaping.
    private static func pollWithoutPidfd(_ pid: pid_t) async {
        while true {
            var info = siginfo_t()
            if waitid(P_PID, id_t(pid), &info, WEXITED | WNOHANG | WNOWAIT) != 0 || info._sifields._sigchld.si_pid != 0 {
                return
            }
            try? await Task.sleep(for: .milliseconds(10))
        }
    }
}

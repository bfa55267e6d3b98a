import Foundation
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// The fsync of a commit that must survive power loss, made after the commit rather than in it.
///
/// With `synchronous = FULL` SQLite fsyncs the WAL inside COMMIT, while it holds the one write
/// lock: every other writer (the dispatcher recording answers, the next group commit) waited for
/// the disk, which took 0.4 to 3 ms here. The connection runs `NORMAL` instead, and the writer
/// calls ``sync()`` once its transaction has committed and the lock is free, before it tells
/// anyone. fdatasync covers every page of the file, whichever descriptor wrote it, so this one
/// makes the commit durable, with everything written before it, as FULL would have. SQLite keeps
/// the WAL file (the same inode) while a connection of this process is open: it deletes it only
/// when the last connection to the database closes.
final class WALSync: Sendable {
    private let path: String
    private let descriptor = Mutex<Int32>(-1)
    private let count = Atomic<Int>(0)

    init(path: String) {
        self.path = path
    }

    deinit {
        descriptor.withLock { if $0 >= 0 { close($0) } }
    }

    /// How many syncs have been made.
    var syncs: Int { count.load(ordering: .relaxed) }

    func sync() throws {
        let fd = try descriptor.withLock { fd in
            if fd < 0 {
                // Opened at the first sync: the file exists once a transaction has committed.
                fd = open(path, O_RDONLY | O_CLOEXEC)
                guard fd >= 0 else { throw WALSyncError(path: path, operation: "open", code: errno) }
            }
            return fd
        }
        guard fdatasync(fd) == 0 else { throw WALSyncError(path: path, operation: "fdatasync", code: errno) }
        count.add(1, ordering: .relaxed)
    }
}

/// The commit happened, but it is not known to be on disk: the caller is told it failed, so a
/// sender retries (a redelivered event is not stored twice).
struct WALSyncError: Error, CustomStringConvertible {
    let path: String
    let operation: String
    let code: Int32

    var description: String { "cannot \(operation) \(path): \(String(cString: strerror(code)))" }
}

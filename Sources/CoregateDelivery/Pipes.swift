import Glibc

/// How far a write to a handler's non-blocking stdin pipe got.
enum PipeWrite {
    /// Everything was written.
    case done
    /// The pipe is full; wait for POLLOUT and write the rest.
    case wouldBlock
    /// The handler closed its stdin (EPIPE: SIGPIPE is ignored) or the pipe failed; what the
    /// handler does next (its exit, its answers) says what happens to the input.
    case closed

    /// Writes `bytes` from `written` on, advancing `written`, until one of the three.
    static func write(_ bytes: [UInt8], from written: inout Int, to fd: Int32) -> PipeWrite {
        while written < bytes.count {
            let count = bytes.withUnsafeBytes { Glibc.write(fd, $0.baseAddress! + written, bytes.count - written) }
            if count > 0 {
                written += count
            } else if count < 0 && errno == EINTR {
                continue
            } else if count < 0 && errno == EAGAIN {
                return .wouldBlock
            } else {
                return .closed
            }
        }
        return .done
    }
}

/// Reads the non-blocking pipe `fd` through `buffer` until it is empty, handing each chunk to
/// `consume`; false at end of file (or when the read fails).
func drainPipe(
    _ fd: Int32, through buffer: UnsafeMutableRawBufferPointer, into consume: (UnsafeRawBufferPointer) -> Void
) -> Bool {
    while true {
        let count = read(fd, buffer.baseAddress, buffer.count)
        if count > 0 {
            consume(UnsafeRawBufferPointer(rebasing: buffer[..<count]))
        } else if count < 0 && errno == EINTR {
            continue
        } else {
            return count < 0 && errno == EAGAIN
        }
    }
}

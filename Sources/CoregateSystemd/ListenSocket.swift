import CSystemd
import Glibc

/// A listening socket systemd handed over (`LISTEN_FDS`), with its `FileDescriptorName=`.
public struct ListenSocket: Sendable, Equatable {
    public var fd: Int32
    /// `FileDescriptorName=` from the .socket unit; systemd says `unknown` when none is set.
    public var name: String

    public init(fd: Int32, name: String) {
        self.fd = fd
        self.name = name
    }

    /// The sockets passed to this process, in order. Empty when started by hand.
    /// The `LISTEN_*` variables are unset, so handlers and other children never see them.
    public static func inherited() -> [ListenSocket] {
        var names: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?
        let count = sd_listen_fds_with_names(1, &names)
        guard count > 0 else { return [] }
        defer { free(names) }
        return (0..<Int(count)).map { index in
            let fd = SD_LISTEN_FDS_START + Int32(index)
            var name = "unknown"
            if let cName = names?[index] {
                name = String(cString: cName)
                free(cName)
            }
            return ListenSocket(fd: fd, name: name)
        }
    }
}

import Foundation

/// Says in words an operator can act on why a handler could not be started.
///
/// The spawn reports a missing program, a non-executable file and a missing `#!` interpreter
/// alike (ENOENT or EACCES), so the program is looked at again here, only after it failed.
enum LaunchFailure {
    /// `spawnError` is what the spawn said; nil when no program of that name was found in PATH.
    static func reason(program: String, path: String?, spawnError: String? = nil) -> String {
        guard program.contains("/") else {
            return "no executable program named \(program) in PATH \(path ?? "")"
        }
        var status = stat()
        guard stat(program, &status) == 0 else {
            return "\(program) does not exist"
        }
        if status.st_mode & S_IFMT == S_IFDIR {
            return "\(program) is a folder, not a program"
        }
        if access(program, X_OK) != 0 {
            return "\(program) is not executable (mode \(String(status.st_mode & 0o7777, radix: 8)))"
        }
        if let firstLine = interpreterLine(of: program) {
            return "\(program) cannot be executed; is its interpreter \(firstLine) installed? (\(spawnError ?? ""))"
        }
        return "\(program) cannot be executed: \(spawnError ?? "")"
    }

    /// The `#!` line of a script, which names a program that may be missing.
    private static func interpreterLine(of program: String) -> String? {
        guard let file = FileHandle(forReadingAtPath: program) else { return nil }
        defer { try? file.close() }
        guard let head = try? file.read(upToCount: 256), head.starts(with: Array("#!".utf8)) else { return nil }
        let line = head.prefix { $0 != UInt8(ascii: "\n") }
        return String(decoding: line, as: UTF8.self)
    }
}

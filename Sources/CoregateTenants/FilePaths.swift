import Foundation

/// Resolves the relative paths a config file may contain.
///
/// A relative path in a config means "beside this config" (the global file's folder, or the folder
/// that holds `tenants/`), never "wherever the service was started", so everything is made
/// absolute once, at load time.
enum FilePaths {
    /// `path` made absolute against `base`, which is itself taken against the working directory; `.` and `..` are removed.
    static func absolute(_ path: String, against base: String = FileManager.default.currentDirectoryPath) -> String {
        let joined = path.hasPrefix("/") ? path : absolute(base) + "/" + path
        var parts: [Substring] = []
        for part in joined.split(separator: "/") where part != "." {
            if part == ".." {
                _ = parts.popLast()
            } else {
                parts.append(part)
            }
        }
        return "/" + parts.joined(separator: "/")
    }

    /// The folder that holds `path`, which must be absolute.
    static func folder(of path: String) -> String {
        absolute("..", against: path)
    }
}

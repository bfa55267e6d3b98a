/// Something wrong in a config file, located for the operator: `FILE:LINE: message`.
public struct ConfigProblem: Error, Sendable, Equatable, CustomStringConvertible {
    public enum Severity: String, Sendable { case error, warning }

    public var file: String
    /// nil where no line can be known; the key path stands in for it then.
    public var line: Int?
    /// The key the problem is about, such as `handlers[1].timeout`; empty for the whole file.
    public var keyPath: String
    public var message: String
    public var severity: Severity

    public init(file: String, line: Int?, keyPath: String, message: String, severity: Severity = .error) {
        self.file = file
        self.line = line
        self.keyPath = keyPath
        self.message = message
        self.severity = severity
    }

    public var description: String {
        let place = line.map { "\(file):\($0)" } ?? (keyPath.isEmpty ? file : "\(file): \(keyPath)")
        let prefix = severity == .warning ? "warning: " : ""
        return "\(place): \(prefix)\(message)"
    }
}

/// A problem with one key of the global config, found where this module cannot look (the TLS
/// library); the loader turns it into a `ConfigProblem` at that key's line.
public struct KeyedProblem: Sendable, Equatable {
    /// The global config's key, such as `tls_key`.
    public var key: String
    public var message: String

    public init(key: String, message: String) {
        self.key = key
        self.message = message
    }
}

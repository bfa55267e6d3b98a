/// Reads a `HOST:PORT` as written in `listen`, `metrics_listen` and `--listen`.
///
/// Only the shape is checked here; whether the address can be bound is learned when binding.
/// An IPv6 host must be bracketed (`[::1]:8080`), or its colons would be taken for the port's.
/// `check` and `serve` both read addresses here, so what `check` accepts is what `serve` binds.
public enum ListenAddress {
    /// The host (IPv6 without its brackets) and the port, or nil when `text` is not a `HOST:PORT`.
    public static func parse(_ text: String) -> (host: String, port: Int)? {
        guard case .success(let address) = read(text) else { return nil }
        return address
    }

    /// Why `text` is not a `HOST:PORT`, or nil when it is one.
    static func problem(with text: String) -> String? {
        guard case .failure(let problem) = read(text) else { return nil }
        return problem.message
    }

    private struct Problem: Error {
        var message: String
    }

    private static func read(_ text: String) -> Result<(host: String, port: Int), Problem> {
        let usage = Problem(message: "\"\(text)\" is not HOST:PORT, such as 127.0.0.1:8080 or [::1]:8080")
        guard let colon = text.lastIndex(of: ":") else { return .failure(usage) }
        let host = text[..<colon]
        let port = text[text.index(after: colon)...]
        guard !port.isEmpty, port.allSatisfy({ $0.isASCII && $0.isNumber }), let number = Int(port), number <= 65535 else {
            return .failure(Problem(message: "\"\(text)\" has a bad port: write 0 to 65535"))
        }
        if host.hasPrefix("[") {
            let inner = String(host.dropFirst().dropLast())
            guard host.hasSuffix("]"), CIDR.addressBytes(inner) != nil else { return .failure(usage) }
            return .success((inner, number))
        }
        guard !host.isEmpty, !host.contains(":"), !host.contains(" ") else { return .failure(usage) }
        return .success((String(host), number))
    }
}

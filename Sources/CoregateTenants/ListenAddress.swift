/// Checks a `HOST:PORT` as written in `listen`, `metrics_listen` and `--listen`.
///
/// Only the shape is checked here; whether the address can be bound is learned when binding.
/// An IPv6 host must be bracketed (`[::1]:8080`), or its colons would be taken for the port's.
enum ListenAddress {
    /// Why `text` is not a `HOST:PORT`, or nil when it is one.
    static func problem(with text: String) -> String? {
        let usage = "\"\(text)\" is not HOST:PORT, such as 127.0.0.1:8080 or [::1]:8080"
        guard let colon = text.lastIndex(of: ":") else { return usage }
        let host = text[..<colon]
        let port = text[text.index(after: colon)...]
        guard !port.isEmpty, port.allSatisfy({ $0.isASCII && $0.isNumber }), let number = Int(port), number <= 65535 else {
            return "\"\(text)\" has a bad port: write 0 to 65535"
        }
        if host.hasPrefix("[") {
            guard host.hasSuffix("]"), CIDR.addressBytes(String(host.dropFirst().dropLast())) != nil else { return usage }
        } else if host.isEmpty || host.contains(":") || host.contains(" ") {
            return usage
        }
        return nil
    }
}

/// `store = "postgresql://USER@HOST:PORT/DB"` in the global file (SPEC §11): the PostgreSQL
/// database that several nodes share as their queue. The password is never part of it: it is
/// `store_password`, a secret reference.
///
/// TLS to the database is chosen with libpq's words, so the URL reads as it would for `psql`:
/// `?sslmode=disable` (the default), `require` (encrypted, the certificate unchecked) or
/// `verify-full` (checked against `sslrootcert=PATH`, else the system's roots, and the host name).
public struct PostgresAddress: Sendable, Equatable, CustomStringConvertible {
    public enum TLSMode: String, Sendable, CaseIterable {
        case disable
        case require
        case verifyFull = "verify-full"
    }

    public var user: String
    public var host: String
    public var port: Int
    public var database: String
    public var tls: TLSMode
    public var rootCertificate: String?

    /// The URL as written, without anything secret (it holds none).
    public var description: String

    /// Parses a `store` value; the error says what is wrong with it.
    static func parse(_ text: String) -> Result<PostgresAddress, ConfigValueError> {
        let example = "write postgresql://USER@HOST:PORT/DATABASE"
        guard let scheme = ["postgresql://", "postgres://"].first(where: text.hasPrefix) else {
            return .failure(ConfigValueError("\"\(text)\" is not a PostgreSQL URL: \(example)"))
        }
        let (location, query) = split(String(text.dropFirst(scheme.count)), at: "?")
        let (authority, path) = split(location, at: "/")
        guard let at = authority.lastIndex(of: "@") else {
            return .failure(ConfigValueError("the URL names no user: \(example)"))
        }
        let user = String(authority[..<at])
        guard !user.isEmpty else { return .failure(ConfigValueError("the URL names no user: \(example)")) }
        guard !user.contains(":") else {
            return .failure(ConfigValueError("the URL holds a password: put it in store_password, as a secret reference"))
        }
        let hostPort = String(authority[authority.index(after: at)...])
        var host = hostPort
        var port = 5432
        if hostPort.hasPrefix("[") {
            guard let close = hostPort.firstIndex(of: "]") else { return .failure(ConfigValueError("an IPv6 host lacks its `]`")) }
            host = String(hostPort[hostPort.index(after: hostPort.startIndex)..<close])
            let after = hostPort[hostPort.index(after: close)...]
            if !after.isEmpty {
                guard after.hasPrefix(":"), let number = Int(after.dropFirst()) else {
                    return .failure(ConfigValueError("\"\(after)\" after the host is not :PORT"))
                }
                port = number
            }
        } else if let colon = hostPort.lastIndex(of: ":") {
            host = String(hostPort[..<colon])
            guard let number = Int(hostPort[hostPort.index(after: colon)...]) else {
                return .failure(ConfigValueError("the port \"\(hostPort[hostPort.index(after: colon)...])\" is not a number"))
            }
            port = number
        }
        guard !host.isEmpty else { return .failure(ConfigValueError("the URL names no host: \(example)")) }
        guard (1...65535).contains(port) else { return .failure(ConfigValueError("the port \(port) is not in 1...65535")) }
        guard !path.isEmpty, !path.contains("/") else {
            return .failure(ConfigValueError("the URL names no database: \(example)"))
        }
        var address = PostgresAddress(
            user: user, host: host, port: port, database: path, tls: .disable, rootCertificate: nil, description: text)
        for parameter in query.split(separator: "&") where !parameter.isEmpty {
            let (name, value) = split(String(parameter), at: "=")
            switch name {
            case "sslmode":
                guard let mode = TLSMode(rawValue: value) else {
                    let modes = TLSMode.allCases.map(\.rawValue).joined(separator: ", ")
                    return .failure(ConfigValueError("sslmode \"\(value)\" is not one of \(modes)"))
                }
                address.tls = mode
            case "sslrootcert":
                address.rootCertificate = value
            default:
                return .failure(ConfigValueError("unknown URL parameter \"\(name)\": use sslmode or sslrootcert"))
            }
        }
        if address.rootCertificate != nil && address.tls != .verifyFull {
            return .failure(ConfigValueError("sslrootcert needs sslmode=verify-full"))
        }
        return .success(address)
    }

    private static func split(_ text: String, at separator: Character) -> (String, String) {
        guard let index = text.firstIndex(of: separator) else { return (text, "") }
        return (String(text[..<index]), String(text[text.index(after: index)...]))
    }
}

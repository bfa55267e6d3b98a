import CoregateHTTP
import CoregateTenants
import CoregateVerify
import Foundation

/// `coregate send-test`: posts a realistic webhook to a running gateway, the way the tenant's
/// sender would, so an operator can see a whole delivery without a phone.
///
/// The request passes every check it can: the path token goes into the URL and the headers come
/// from `SenderCredentials`, which mirrors the verifier. `allow_from` and client certificates
/// depend on where the request comes from, which this cannot change.
public struct TestDelivery: Sendable {
    public struct Problem: Error, CustomStringConvertible {
        public let description: String
    }

    public let tenant: Tenant
    public let webhook: TestWebhook
    private let target: Target

    /// - Parameter usernameOnly: the customer is known only by a username (Cloud API tenants).
    public init(
        configuration: Configuration, tenant tenantID: String, type: String, usernameOnly: Bool = false, text: String?,
        url: String?
    ) throws(Problem) {
        guard let tenant = configuration.tenants.first(where: { $0.id == tenantID }) else {
            let known = configuration.tenants.map(\.id).joined(separator: ", ")
            throw Problem(description: "no tenant \(tenantID); the tenants are: \(known)")
        }
        guard !usernameOnly || tenant.sender == .cloud else {
            throw Problem(description: "--username is for cloud tenants: the On-Premises API has no usernames")
        }
        guard let webhook = TestWebhook(
            type: type, sender: tenant.sender, phoneNumberID: tenant.phoneNumberIDs.first, usernameOnly: usernameOnly,
            text: text ?? TestWebhook.defaultText)
        else {
            let types = TestWebhook.types(for: tenant.sender).joined(separator: ", ")
            throw Problem(description: "cannot make a \(type) webhook for \(tenant.id) (\(tenant.sender.rawValue)); --type takes \(types)")
        }
        let base = url ?? Self.defaultURL(configuration.global)
        guard let target = Target(base) else {
            throw Problem(description: "\(base) is not an http:// or https:// URL")
        }
        self.tenant = tenant
        self.webhook = webhook
        self.target = target
    }

    /// The service's first `listen` address, reached over loopback when it listens on every
    /// address; `http://127.0.0.1:8080` (what `make run` listens on) when there is none.
    static func defaultURL(_ global: GlobalConfig) -> String {
        let scheme = global.tlsCert == nil ? "http" : "https"
        guard let listen = global.listen.first, let colon = listen.lastIndex(of: ":") else {
            return "\(scheme)://127.0.0.1:8080"
        }
        var host = String(listen[..<colon])
        if host == "0.0.0.0" { host = "127.0.0.1" }
        if host == "[::]" { host = "[::1]" }
        return "\(scheme)://\(host)\(listen[colon...])"
    }

    /// Where the request goes, with the path token shown as `<path_token>`: fit to print.
    public var displayURL: String {
        target.display + tenant.path + (tenant.pathToken == nil ? "" : "/<path_token>")
    }

    /// What the request carries to pass the tenant's checks, named but never shown.
    public var credentialsDescription: String {
        var parts: [String] = []
        if tenant.pathToken != nil { parts.append("path token") }
        if tenant.verify.basic != nil { parts.append("Basic credentials") }
        if tenant.verify.bearer != nil { parts.append("bearer token") }
        if !tenant.verify.hmacSHA256.isEmpty { parts.append("\(tenant.verify.hmacHeader) signature") }
        return parts.isEmpty ? "no credentials" : parts.joined(separator: ", ")
    }

    public func send() async throws -> OneShotHTTPClient.Response {
        var path = target.pathPrefix + tenant.path
        if let token = tenant.pathToken { path += "/" + String(decoding: token.value, as: UTF8.self) }
        let headers = [("Content-Type", "application/json"), ("User-Agent", "coregate send-test")]
            + SenderCredentials.headers(for: tenant.verify, body: webhook.body)
        return try await OneShotHTTPClient.post(
            host: target.host, port: target.port, tls: target.tls, path: path, headers: headers, body: webhook.body)
    }

    /// The parts of `--url` the request needs; a path in it (a reverse proxy's prefix) goes before the route.
    private struct Target {
        var tls: Bool
        var host: String
        var port: Int
        var pathPrefix: String
        var display: String

        init?(_ text: String) {
            guard let url = URL(string: text), let scheme = url.scheme?.lowercased(), scheme == "http" || scheme == "https",
                  var host = url.host, !host.isEmpty
            else { return nil }
            if host.hasPrefix("[") && host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
            tls = scheme == "https"
            self.host = host
            port = url.port ?? (tls ? 443 : 80)
            pathPrefix = url.path.hasSuffix("/") ? String(url.path.dropLast()) : url.path
            display = "\(scheme)://\(hostAndPort(host, port))\(pathPrefix)"
        }
    }
}

import CoregateHTTP
import CoregateSystemd
import CoregateTenants

/// The sockets to serve, split by purpose. Sockets from systemd win: one named `metrics`
/// (`FileDescriptorName=metrics`) serves Prometheus, one whose name starts with `https` serves
/// HTTPS, any other plain HTTP. Without them, the configured addresses are used, with TLS
/// whenever a certificate is set.
struct Listeners: CustomStringConvertible {
    var webhooks: [Endpoint] = []
    var metrics: [Endpoint] = []

    struct Problem: Error {
        var message: String
    }

    static let metricsName = "metrics"

    static func find(_ global: GlobalConfig, servesTLS: Bool) -> Result<Listeners, Problem> {
        var found = Listeners()
        for socket in ListenSocket.inherited() {
            let listener = Listener.adopted(fd: socket.fd, name: socket.name)
            if socket.name == metricsName {
                found.metrics.append(Endpoint(listener: listener, scheme: .http))
                continue
            }
            let isHTTPS = socket.name.hasPrefix("https")
            if isHTTPS && !servesTLS {
                return .failure(Problem(
                    message: "the socket \(socket.name) (fd \(socket.fd)) is named for HTTPS, but tls_cert and tls_key are not set"))
            }
            found.webhooks.append(Endpoint(listener: listener, scheme: isHTTPS ? .https : .http))
        }
        if found.webhooks.isEmpty {
            guard !global.listen.isEmpty else {
                return .failure(Problem(message: "no sockets were passed by systemd and no listen address is configured (--listen HOST:PORT)"))
            }
            for address in global.listen {
                guard let (host, port) = ListenAddress.parse(address) else {
                    return .failure(Problem(message: "listen address \(address) is not HOST:PORT"))
                }
                found.webhooks.append(Endpoint(listener: .address(host: host, port: port), scheme: servesTLS ? .https : .http))
            }
        }
        if let address = global.metricsListen {
            guard let (host, port) = ListenAddress.parse(address) else {
                return .failure(Problem(message: "metrics_listen \(address) is not HOST:PORT"))
            }
            found.metrics.append(Endpoint(listener: .address(host: host, port: port), scheme: .http))
        }
        return .success(found)
    }

    var description: String { "webhooks \(webhooks), metrics \(metrics)" }
}

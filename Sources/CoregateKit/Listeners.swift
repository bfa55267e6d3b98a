import CoregateHTTP
import CoregateSystemd
import CoregateTenants

/// The sockets to serve, split by purpose. Sockets from systemd win: one named `metrics`
/// (`FileDescriptorName=metrics`) serves Prometheus; one whose name starts with `https` serves
/// HTTPS, one whose name starts with `http` plain HTTP; any other name (the shipped `webhooks`, or
/// systemd's default, the unit's name) serves HTTPS whenever a certificate is set, as the
/// configured addresses do. So an operator who sets `tls_cert` never serves credentials in clear
/// text unless a socket's name asks for it.
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
            let namedHTTPS = socket.name.hasPrefix("https")
            if namedHTTPS && !servesTLS {
                return .failure(Problem(
                    message: "the socket \(socket.name) (fd \(socket.fd)) is named for HTTPS, but tls_cert and tls_key are not set"))
            }
            let namedHTTP = !namedHTTPS && socket.name.hasPrefix("http")
            found.webhooks.append(Endpoint(listener: listener, scheme: servesTLS && !namedHTTP ? .https : .http))
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

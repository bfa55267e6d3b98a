import CoregateHTTP
import CoregateSystemd
import CoregateTenants

/// The sockets to serve, split by purpose. Sockets from systemd win, and one named `metrics`
/// (`FileDescriptorName=metrics`) serves Prometheus; the configured addresses are the fallback
/// for a start by hand.
struct Listeners: CustomStringConvertible {
    var webhooks: [Listener] = []
    var metrics: [Listener] = []

    struct Problem: Error {
        var message: String
    }

    static let metricsName = "metrics"

    static func find(_ global: GlobalConfig) -> Result<Listeners, Problem> {
        var found = Listeners()
        for socket in ListenSocket.inherited() {
            let listener = Listener.adopted(fd: socket.fd, name: socket.name)
            if socket.name == metricsName { found.metrics.append(listener) } else { found.webhooks.append(listener) }
        }
        if found.webhooks.isEmpty {
            guard !global.listen.isEmpty else {
                return .failure(Problem(message: "no sockets were passed by systemd and no listen address is configured (--listen HOST:PORT)"))
            }
            for address in global.listen {
                guard let listener = Listener.parse(address) else {
                    return .failure(Problem(message: "listen address \(address) is not HOST:PORT"))
                }
                found.webhooks.append(listener)
            }
        }
        if let address = global.metricsListen {
            guard let listener = Listener.parse(address) else {
                return .failure(Problem(message: "metrics_listen \(address) is not HOST:PORT"))
            }
            found.metrics.append(listener)
        }
        return .success(found)
    }

    var description: String { "webhooks \(webhooks), metrics \(metrics)" }
}

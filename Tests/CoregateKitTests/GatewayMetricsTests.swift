import NIOHTTP1
import Testing

@testable import CoregateKit

/// The request totals that `systemctl status` shows on the STATUS= line.
@Suite("gateway metrics summary")
struct GatewayMetricsTests {
    @Test("before any request the summary says so")
    func noRequests() {
        #expect(GatewayMetrics().summary == "0 requests")
    }

    @Test("answers are totalled per status code, codes in order, across tenants")
    func totalsByStatus() {
        let metrics = GatewayMetrics()
        metrics.request(tenant: "acme", status: .unauthorized, duration: .milliseconds(2))
        metrics.request(tenant: "acme", status: .ok, duration: .milliseconds(1))
        metrics.request(tenant: "globex", status: .ok, duration: .milliseconds(3))
        metrics.request(tenant: "", status: .notFound, duration: .milliseconds(1))
        #expect(metrics.summary == "4 requests (200: 2, 401: 1, 404: 1)")
    }

    @Test("the Prometheus text counts each request under its tenant and status")
    func exposition() {
        let metrics = GatewayMetrics()
        metrics.request(tenant: "acme", status: .ok, duration: .milliseconds(1))
        metrics.request(tenant: "acme", status: .ok, duration: .milliseconds(1))
        let text = String(decoding: metrics.registry.emitToBuffer(), as: UTF8.self)
        #expect(text.contains(#"coregate_http_requests_total{tenant="acme",status="200"} 2"#), "\(text)")
    }
}

import NIOCore
import NIOEmbedded
import Testing

@testable import CoregateHTTP

/// Issue 12, item 1: at the connection limit, idle connections make room for new ones.
@Suite("connection registry")
struct ConnectionRegistryTests {
    /// "refused", "admitted", or "admitted in place of" another connection.
    private func outcome(_ admission: ConnectionRegistry.Admission, displacing expected: (any Channel)? = nil) -> String {
        switch admission {
        case .refused: return "refused"
        case .admitted(nil): return "admitted"
        case .admitted(let displaced?): return displaced === expected ? "admitted in place of it" : "admitted in place of another"
        }
    }

    @Test("under the limit every connection is admitted and none displaced")
    func underLimit() {
        let registry = ConnectionRegistry(limit: 2)
        #expect(outcome(registry.admit(EmbeddedChannel())) == "admitted")
        #expect(outcome(registry.admit(EmbeddedChannel())) == "admitted")
        #expect(registry.count == 2)
    }

    @Test("at the limit the connection idle longest makes room")
    func displacesIdlest() {
        let registry = ConnectionRegistry(limit: 2)
        let first = EmbeddedChannel()
        let second = EmbeddedChannel()
        _ = registry.admit(first)
        _ = registry.admit(second)
        registry.markBusy(first)
        registry.markIdle(first)  // answered: now idle for less time than `second`
        #expect(outcome(registry.admit(EmbeddedChannel()), displacing: second) == "admitted in place of it")
        #expect(registry.count == 2)
    }

    @Test("when every connection is in a request, the new one is refused")
    func refusesWhenAllBusy() {
        let registry = ConnectionRegistry(limit: 1)
        let busy = EmbeddedChannel()
        _ = registry.admit(busy)
        registry.markBusy(busy)
        #expect(outcome(registry.admit(EmbeddedChannel())) == "refused")
        registry.release(busy)
        #expect(outcome(registry.admit(EmbeddedChannel())) == "admitted")
    }
}

import Foundation
import Testing
@testable import CoregateStore

@Suite("Crash recovery")
struct RecoveryTests {
    @Test("a delivery running when the process died runs again after restart, its attempt number counting on", arguments: Backend.available)
    func runningIsRecovered(backend: Backend) async throws {
        // Given a service that claimed two deliveries of one contact's line and another contact's, then died
        let place = try await StorePlace(backend)
        do {
            let crashed = try await place.open()
            _ = try await crashed.enqueue([makeEvent("a1", contact: "A"), makeEvent("a2", contact: "A"), makeEvent("b1", contact: "B")])
            #expect(try await crashed.claimAll().map(\.attempt) == [1, 1])
        }

        // When the service restarts on the same file, and recovers before dispatching
        let restarted = try await place.open()
        #expect(restarted.backlog(tenant: "acme") == 3)
        let recovered = try await restarted.recoverInterruptedDeliveries()
        let claims = try await restarted.claimAll()

        // Then both run again as attempt 2, the line still holds a2 back, and the cut attempt is on record
        #expect(recovered == 2)
        #expect(claims.map(\.eventID) == ["a1", "b1"] && claims.allSatisfy { $0.attempt == 2 })
        let history = try #require(try await restarted.event(id: "a1").first?.deliveries.first?.history)
        #expect(history.map(\.outcome) == ["interrupted"] && history.first?.duration == nil)
    }

    @Test("opening the file does not touch running deliveries; only recovery does", arguments: Backend.available)
    func openingLeavesRunningAlone(backend: Backend) async throws {
        // Given a service with a running delivery
        let place = try await StorePlace(backend)
        let service = try await place.open()
        _ = try await service.enqueue([makeEvent("e")])
        let claim = try #require(try await service.claimAll().first)

        // When the CLI opens the same file
        let cli = try await place.open()

        // Then the delivery is still the service's to complete
        #expect(try await cli.deliveryState(eventID: "e") == .running)
        try await service.complete(claim, report: report(.succeeded), policy: noDelay)
        #expect(try await cli.deliveryState(eventID: "e") == .done)
    }
}

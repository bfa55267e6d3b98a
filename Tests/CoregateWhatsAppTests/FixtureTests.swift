import CoregateTenants
import CoregateWhatsApp
import Foundation
import Testing

@Suite("Fixtures")
struct FixtureTests {
    static let receivedAt = Date(timeIntervalSince1970: 1_718_400_000.123)

    @Test("each fixture decodes to exactly its expected events", arguments: FixtureExpectation.all)
    func decodesToExpectedEvents(_ expectation: FixtureExpectation) throws {
        // Given
        let body = try Fixtures.body(expectation.file)
        // When
        let events = try WebhookDecoder.decode(
            body, sender: Fixtures.sender(of: expectation.file), tenant: "acme", receivedAt: Self.receivedAt)
        // Then
        try #require(events.map(\.type) == expectation.events.map(\.type))
        for (event, expected) in zip(events, expectation.events) {
            #expect(event.id == expected.id)
            #expect(event.contactKey == expected.contactKey)
            #expect(event.tenant == "acme")
            let line = try ParsedLine(event)
            #expect(line["occurred_at"] == expected.occurredAt, "\(event.id)")
            #expect(line["received_at"] == "2024-06-14T21:20:00.123Z")
            for (path, value) in expected.fields.sorted(by: { $0.key < $1.key }) {
                #expect(line[path] == value, "\(event.id) \(path)")
            }
        }
    }

    @Test("every fixture file has an expectation, so none goes unasserted")
    func everyFixtureIsExpected() throws {
        let files = try Fixtures.names(in: "fixtures")
        #expect(files.count >= 55)
        #expect(Set(files) == Set(FixtureExpectation.all.map(\.file)))
    }

    @Test("every message kind, status and well-known field of SPEC §6 is covered by some fixture")
    func coverage() {
        let types = Set(FixtureExpectation.all.flatMap { $0.events.map(\.type) })
        let kinds = ["text", "image", "audio", "voice", "video", "document", "sticker", "location", "contacts",
                     "interactive", "button", "order", "reaction", "system", "unsupported", "request_welcome", "edit",
                     "revoke", "unknown"]
        let statuses = ["sent", "delivered", "read", "failed", "deleted", "warning", "played", "unknown"]
        let fields = ["account_update", "message_template_status_update", "user_preferences", "calls"]
        let expected = Set(kinds.map { "message." + $0 } + statuses.map { "status." + $0 } + fields.map { "field." + $0 } + ["error"])
        #expect(expected.subtracting(types).isEmpty, "not covered: \(expected.subtracting(types).sorted())")
    }

    @Test("an event's JSON line has the SPEC §6 keys and exactly one of message, status, error, field",
          arguments: FixtureExpectation.all.map(\.file))
    func lineKeys(_ file: String) throws {
        let events = try WebhookDecoder.decode(
            try Fixtures.body(file), sender: Fixtures.sender(of: file), tenant: "acme", receivedAt: Self.receivedAt)
        for event in events {
            let line = try ParsedLine(event)
            let itemKey = String(event.type.prefix { $0 != "." })
            #expect(line.keys == ["contact", "decode_error", "id", itemKey, "occurred_at", "phone_number_id", "raw",
                                  "received_at", "source", "tenant", "type", "version"].sorted())
            #expect(line["version"] == 1)
        }
    }
}

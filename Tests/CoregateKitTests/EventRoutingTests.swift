import CoregateTenants
import CoregateWhatsApp
import Foundation
import Logging
import Testing

@testable import CoregateKit

/// Several Cloud API apps may post to one path; each change then belongs to the tenant that lists
/// its `phone_number_id`.
@Suite("event routing on a shared Cloud path")
struct EventRoutingTests {
    static let acme = Tenant(id: "acme", file: "acme.toml", sender: .cloud, path: "/webhooks/cloud", phoneNumberIDs: ["111"])
    static let globex = Tenant(
        id: "globex", file: "globex.toml", sender: .cloud, path: "/webhooks/cloud", phoneNumberIDs: ["222", "223"])

    /// A Cloud body with one message for each phone number id given, and then an `account_update`
    /// change, which names no number.
    static func events(forNumbers numbers: [String], tenant: String = "") throws -> [Event] {
        let messages = numbers.enumerated().map { index, number in
            """
            {"id": "waba", "changes": [{"field": "messages", "value": {
              "messaging_product": "whatsapp",
              "metadata": {"display_phone_number": "15550100200", "phone_number_id": "\(number)"},
              "messages": [{"from": "15550100314", "id": "wamid.\(index)", "timestamp": "1718381200",
                            "type": "text", "text": {"body": "for \(number)"}}]}}]}
            """
        }
        let accountUpdate = """
            {"id": "waba", "changes": [{"field": "account_update",
              "value": {"phone_number": "15550100200", "event": "VERIFIED_ACCOUNT"}}]}
            """
        let body = #"{"object": "whatsapp_business_account", "entry": ["# + (messages + [accountUpdate]).joined(separator: ",") + "]}"
        return try WebhookDecoder.decode(Array(body.utf8), sender: .cloud, tenant: tenant, receivedAt: Date())
    }

    static let logger = Logger(label: "test") { _ in SwiftLogNoOpLogHandler() }

    @Test("each message goes to the tenant that owns its phone number id")
    func ownersGetTheirEvents() throws {
        let events = try Self.events(forNumbers: ["111", "223", "222"])
        let result = EventRouting.assign(Array(events.prefix(3)), to: [Self.acme, Self.globex], logger: Self.logger)
        #expect(result.events.map(\.tenant) == ["acme", "globex", "globex"])
        #expect(result.events.map(\.phoneNumberID) == ["111", "223", "222"])
        #expect(result.unowned == 0)
    }

    @Test("a change that names no number goes to every tenant at the path")
    func accountWideChangeGoesToAll() throws {
        let update = try #require(try Self.events(forNumbers: []).last)
        #expect(update.phoneNumberID == nil)
        let result = EventRouting.assign([update], to: [Self.acme, Self.globex], logger: Self.logger)
        #expect(result.events.map(\.tenant) == ["acme", "globex"])
        #expect(result.events.map(\.id) == [update.id, update.id], "the same event, once per tenant")
    }

    @Test("a number no tenant at the path owns is counted and dropped, not given to anyone")
    func unownedNumberIsDropped() throws {
        let events = try Self.events(forNumbers: ["111", "999"])
        let result = EventRouting.assign(events, to: [Self.acme, Self.globex], logger: Self.logger)
        #expect(result.unowned == 1)
        #expect(result.events.map { "\($0.tenant) \($0.phoneNumberID ?? "-")" } == ["acme 111", "acme -", "globex -"])
    }

    @Test("with one tenant at the path every event is that tenant's, whatever number it names")
    func singleTenantTakesAll() throws {
        // The decoder already wrote the tenant in; a lone tenant need not list its numbers at all.
        let events = try Self.events(forNumbers: ["999"], tenant: "acme")
        let result = EventRouting.assign(events, to: [Self.acme], logger: Self.logger)
        #expect(result.events == events)
        #expect(result.unowned == 0)
    }
}

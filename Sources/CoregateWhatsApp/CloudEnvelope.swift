import Foundation

/// The Cloud API envelope: `entry[].changes[]`, each change one subscribed `field`. Only
/// `messages` changes carry messages, statuses and errors; the others (`account_update`, template
/// reviews…) have no event type in SPEC §6 and are accepted without events, so Meta stops
/// resending them. Each change's `metadata.phone_number_id` goes on its events, for tenants that
/// share one path.
enum CloudEnvelope {
    static func events(in envelope: Fields, tenant: String, receivedAt: Date) throws(DecodeError) -> [Event] {
        let object = try envelope.string("object")
        guard object == "whatsapp_business_account" else {
            let found = object.map { "\"\(DecodeError.quotable($0))\"" } ?? "missing"
            throw DecodeError("not a WhatsApp webhook: object is \(found), not \"whatsapp_business_account\"")
        }
        guard let entries = try envelope.objects("entry"), !entries.isEmpty else {
            throw DecodeError("not a WhatsApp webhook: entry is missing or empty")
        }
        var events: [Event] = []
        for entry in entries {
            guard let changes = try entry.objects("changes") else { throw entry.missing("changes") }
            for change in changes where try change.requiredString("field") == "messages" {
                let value = try change.requiredObject("value")
                let phoneNumberID = try value.requiredObject("metadata").requiredIdentifier("phone_number_id")
                let origin = EventOrigin(tenant: tenant, source: .cloud, phoneNumberID: phoneNumberID, receivedAt: receivedAt)
                events += try Notification.events(in: value, origin: origin)
            }
        }
        return events
    }
}

import Foundation

/// The Cloud API envelope: `entry[].changes[]`, each change one subscribed `field`. A `messages`
/// change carries messages, statuses and errors, each its own event; a change of any other field
/// (`account_update`, `user_preferences`, `calls`…) is one `FieldChange` event. Each change's
/// `metadata.phone_number_id` goes on its events, for tenants that share one path.
///
/// The envelope itself (`object`, `entry`, `changes`) must be well-formed, or the body is no
/// WhatsApp webhook. A change that is not is an item gone wrong: it becomes a malformed `error`
/// event and the other changes are kept.
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
        let origin = EventOrigin(tenant: tenant, source: .cloud, phoneNumberID: nil, receivedAt: receivedAt)
        var events: [Event] = []
        for entry in entries {
            guard let changes = try entry.elements("changes") else { throw entry.missing("changes") }
            for change in changes {
                do {
                    events += try Self.events(in: Fields(change.value, at: change.path), of: entry, origin: origin)
                } catch {
                    events.append(MalformedItem.event(change.value, as: .error, reason: error, origin: origin))
                }
            }
        }
        return events
    }

    private static func events(in change: Fields, of entry: Fields, origin: EventOrigin) throws(DecodeError) -> [Event] {
        let field = try change.requiredWord("field")
        let value = try change.requiredObject("value")
        var origin = origin
        guard field == "messages" else {
            origin.phoneNumberID = try value.object("metadata")?.identifier("phone_number_id")
            return [try FieldChange.event(field, value: value, change: change, of: entry, origin: origin)]
        }
        origin.phoneNumberID = try value.requiredObject("metadata").requiredIdentifier("phone_number_id")
        return try NotificationArrays.events(in: value, origin: origin)
    }
}

/// A Cloud change of a webhook field other than `messages` becomes one `field.<name>` event
/// (SPEC §6), its `raw` the change's `value` as sent: the shapes differ per field and Meta adds
/// fields, so coregate passes them through rather than normalizing each. Its body is
/// `{name, entry_id}`: the field and the WhatsApp Business Account the change is about.
///
/// Such a change names no customer. `occurred_at` is the entry's `time` where Meta sends one.
enum FieldChange {
    static func event(_ field: String, value: Fields, change: Fields, of entry: Fields, origin: EventOrigin) throws(DecodeError) -> Event {
        let entryID = try entry.identifier("id")
        // The id covers the entry's id and time with this change, so a later, identical change
        // (an account verified twice) is a new event while a redelivery is not.
        let identity = JSONValue.object(
            entry.members.filter { $0.key != "changes" } + [.init("changes", .array([.object(change.members)]))])
        return Event(
            id: EventID.field(field, entry: identity), tenant: origin.tenant, type: "field." + field,
            source: origin.source.rawValue, occurredAt: try entry.unixTime("time"), receivedAt: origin.receivedAt,
            phoneNumberID: origin.phoneNumberID, contact: nil,
            item: .field(.object([.init("name", .string(field)), .init("entry_id", JSONValue(entryID))])),
            raw: .object(value.members))
    }
}

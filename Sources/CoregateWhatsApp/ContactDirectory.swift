/// Customer names from a notification's `contacts[]`, by wa_id: the only place a name appears, and
/// it is absent often enough (system messages, statuses, older Coreapps) that a name is optional.
struct ContactDirectory {
    private var names: [String: String] = [:]

    /// A contact without a `wa_id` is skipped rather than refused: it is only ever used to add a
    /// name, and newer Cloud payloads identify some users by other fields.
    init(_ contacts: [Fields]) throws(DecodeError) {
        for contact in contacts {
            guard let waID = try contact.identifier("wa_id"),
                  let name = try contact.object("profile")?.string("name"),
                  names[waID] == nil
            else { continue }
            names[waID] = name
        }
    }

    func contact(_ waID: String) -> Event.Contact {
        Event.Contact(waID: waID, name: names[waID])
    }
}

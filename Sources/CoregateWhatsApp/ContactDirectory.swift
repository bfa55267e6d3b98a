/// What a notification's `contacts[]` says about its customers, by wa_id and by business-scoped
/// user id: the only place a name or a username appears, and absent often enough (system
/// messages, statuses, older Coreapps) that all of it is optional.
struct ContactDirectory {
    private var byWAID: [String: Event.Contact] = [:]
    private var byUserID: [String: Event.Contact] = [:]

    /// A contact that cannot be read, or names nobody, is skipped rather than refused: it only
    /// adds to what the items themselves say, and must not cost them their events.
    init(_ contacts: [(value: JSONValue, path: String)]) {
        for (value, path) in contacts {
            guard let entry = try? Self.entry(Fields(value, at: path)) else { continue }
            if let waID = entry.waID, byWAID[waID] == nil { byWAID[waID] = entry }
            if let userID = entry.userID, byUserID[userID] == nil { byUserID[userID] = entry }
        }
    }

    private static func entry(_ contact: Fields) throws(DecodeError) -> Event.Contact? {
        let profile = try contact.object("profile")
        let entry = Event.Contact(
            waID: try contact.identifier("wa_id"), userID: try contact.identifier("user_id"),
            username: try profile?.string("username"), parentUserID: try contact.identifier("parent_user_id"),
            name: try profile?.string("name"))
        return entry.waID == nil && entry.userID == nil ? nil : entry
    }

    /// The customer an item names by phone number, user id or both, completed from `contacts[]`;
    /// nil when the item names neither.
    func contact(waID: String?, userID: String?) -> Event.Contact? {
        guard waID != nil || userID != nil else { return nil }
        let listed = waID.flatMap { byWAID[$0] } ?? userID.flatMap { byUserID[$0] }
        return Event.Contact(
            waID: waID ?? listed?.waID, userID: userID ?? listed?.userID, username: listed?.username,
            parentUserID: listed?.parentUserID, name: listed?.name)
    }
}

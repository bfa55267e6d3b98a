import Foundation

/// One upstream item (a message, a status, an error notification, or a Cloud change of another
/// webhook field) in the normalized form that is stored, and that a handler reads on stdin as
/// `jsonLine()` (SPEC §6).
public struct Event: Sendable, Equatable {
    /// The same upstream item always gets the same id; see `EventID`.
    public var id: String
    /// Set by the caller, who knows which tenant the request was for.
    public var tenant: String
    /// `message.<kind>`, `status.<status>`, `error` or `field.<name>`.
    public var type: String
    /// The shape of the body it came from: `on-premises` or `cloud`.
    public var source: String
    /// From the upstream timestamp; error notifications carry none.
    public var occurredAt: Date?
    public var receivedAt: Date
    /// Cloud only: the number the change was for (`metadata.phone_number_id`), which picks the
    /// tenant when several Cloud tenants share one path. Changes of some fields name no number.
    public var phoneNumberID: String?
    /// The customer: a message's sender or a status's recipient, with what `contacts[]` adds.
    public var contact: Contact?
    /// The normalized body a handler works with; its value is `null` when `decodeError` is set.
    public var item: Item
    /// The upstream item as received.
    public var raw: JSONValue
    /// Why the item could not be normalized; nil for every well-formed item. Such an item is
    /// still stored, so one bad item never costs the others in its body (SPEC §6).
    public var decodeError: String? = nil

    /// The customer whose events must reach a handler in order; nil when there is none.
    public var contactKey: String? { contact.flatMap { $0.waID ?? $0.userID } }

    /// A customer is known by a phone number (`wa_id`), a business-scoped user id, or both: a
    /// user who adopted a username may share no phone number.
    public struct Contact: Sendable, Equatable {
        public var waID: String?
        public var userID: String?
        public var username: String?
        public var parentUserID: String?
        public var name: String?
    }

    /// Named after the key it is written under in the event's JSON.
    public enum Item: Sendable, Equatable {
        case message(JSONValue)
        case status(JSONValue)
        case error(JSONValue)
        case field(JSONValue)
    }
}

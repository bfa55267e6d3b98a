import Foundation

/// One upstream item (a message, a status or an error notification) in the normalized form that
/// is stored, and that a handler reads on stdin as `jsonLine()` (SPEC §6).
public struct Event: Sendable, Equatable {
    /// The same upstream item always gets the same id; see `EventID`.
    public var id: String
    /// Set by the caller, who knows which tenant the request was for.
    public var tenant: String
    /// `message.<kind>`, `status.<status>` or `error`.
    public var type: String
    /// The shape of the body it came from: `on-premises` or `cloud`.
    public var source: String
    /// From the upstream timestamp; error notifications carry none.
    public var occurredAt: Date?
    public var receivedAt: Date
    /// Cloud only: the number the entry was for (`metadata.phone_number_id`), which picks the
    /// tenant when several Cloud tenants share one path.
    public var phoneNumberID: String?
    /// The customer: a message's sender or a status's recipient, with the name from `contacts[]`.
    public var contact: Contact?
    /// The normalized body a handler works with.
    public var item: Item
    /// The upstream item as received.
    public var raw: JSONValue

    /// The customer whose events must reach a handler in order; nil for error notifications.
    public var contactKey: String? { contact?.waID }

    public struct Contact: Sendable, Equatable {
        public var waID: String
        public var name: String?
    }

    /// Named after the key it is written under in the event's JSON.
    public enum Item: Sendable, Equatable {
        case message(JSONValue)
        case status(JSONValue)
        case error(JSONValue)
    }
}

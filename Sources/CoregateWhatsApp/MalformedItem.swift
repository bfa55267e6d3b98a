/// An item that cannot be decoded inside a body that can (SPEC §6). It becomes an event of its
/// own — `message.unknown`, `status.unknown` or `error` — with the item as received in `raw`, a
/// `null` body and the reason in `decode_error`, so a handler or an operator can still see it and
/// the good items beside it are stored: answering 400 would make the sender retry the whole body
/// for days and then drop it.
///
/// Nothing in such an item can be trusted, so it has no customer (no per-contact order) and no
/// time, and its id comes from its content (`EventID.malformed`).
enum MalformedItem {
    /// What the item was meant to be, which picks the event's type.
    enum Kind {
        case message, status, error

        var type: String {
            switch self {
            case .message: "message.unknown"
            case .status: "status.unknown"
            case .error: "error"
            }
        }

        var emptyItem: Event.Item {
            switch self {
            case .message: .message(.null)
            case .status: .status(.null)
            case .error: .error(.null)
            }
        }
    }

    /// The event `decode` makes of `item`, or the malformed event of `kind` when it throws.
    static func decoding(
        _ item: (value: JSONValue, path: String), as kind: Kind, origin: EventOrigin,
        _ decode: (Fields) throws(DecodeError) -> Event
    ) -> Event {
        do {
            return try decode(Fields(item.value, at: item.path))
        } catch {
            return event(item.value, as: kind, reason: error, origin: origin)
        }
    }

    static func event(_ item: JSONValue, as kind: Kind, reason: DecodeError, origin: EventOrigin) -> Event {
        Event(
            id: EventID.malformed(kind.type, item: item), tenant: origin.tenant, type: kind.type,
            source: origin.source.rawValue, occurredAt: nil, receivedAt: origin.receivedAt,
            phoneNumberID: origin.phoneNumberID, contact: nil, item: kind.emptyItem, raw: item,
            decodeError: reason.message)
    }
}

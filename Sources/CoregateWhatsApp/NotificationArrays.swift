/// The four arrays both senders use — at the top of an On-Premises body, and in each Cloud
/// `entry[].changes[].value` — decoded by one function so the two sources cannot drift apart.
/// Events come out as messages, then statuses, then errors, each in the sender's order.
///
/// Each item is decoded on its own: one that cannot be becomes a `MalformedItem` event and the
/// others are stored as usual. Only arrays that are not arrays spoil the whole notification.
enum NotificationArrays {
    static func events(in notification: Fields, origin: EventOrigin) throws(DecodeError) -> [Event] {
        let contacts = ContactDirectory(try notification.elements("contacts") ?? [])
        var events: [Event] = []
        for message in try notification.elements("messages") ?? [] {
            events.append(MalformedItem.decoding(message, as: .message, origin: origin) { message throws(DecodeError) in
                try MessageDecoder.event(message, origin: origin, contacts: contacts)
            })
        }
        for status in try notification.elements("statuses") ?? [] {
            events.append(MalformedItem.decoding(status, as: .status, origin: origin) { status throws(DecodeError) in
                try StatusDecoder.event(status, origin: origin, contacts: contacts)
            })
        }
        for error in try notification.elements("errors") ?? [] {
            events.append(MalformedItem.decoding(error, as: .error, origin: origin) { error throws(DecodeError) in
                try errorEvent(error, origin: origin)
            })
        }
        return events
    }

    /// An error notification is about the sender or the number, not about a customer.
    private static func errorEvent(_ error: Fields, origin: EventOrigin) throws(DecodeError) -> Event {
        let raw = JSONValue.object(error.members)
        return Event(
            id: EventID.error(raw), tenant: origin.tenant, type: "error", source: origin.source.rawValue,
            occurredAt: nil, receivedAt: origin.receivedAt, phoneNumberID: origin.phoneNumberID, contact: nil,
            item: .error(try ErrorDetails.normalized(error)), raw: raw)
    }
}

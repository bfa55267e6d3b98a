/// The four arrays both senders use — at the top of an On-Premises body, and in each Cloud
/// `entry[].changes[].value` — decoded by one function so the two sources cannot drift apart.
/// Events come out as messages, then statuses, then errors, each in the sender's order.
enum Notification {
    static func events(in notification: Fields, origin: EventOrigin) throws(DecodeError) -> [Event] {
        let contacts = try ContactDirectory(notification.objects("contacts") ?? [])
        var events: [Event] = []
        for message in try notification.objects("messages") ?? [] {
            events.append(try MessageDecoder.event(message, origin: origin, contacts: contacts))
        }
        for status in try notification.objects("statuses") ?? [] {
            events.append(try StatusDecoder.event(status, origin: origin, contacts: contacts))
        }
        for error in try notification.objects("errors") ?? [] {
            events.append(try errorEvent(error, origin: origin))
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

import CoregateTenants
import Foundation

/// Turns a webhook request body into the events it carries (SPEC §5, §6), or says why it is not
/// a WhatsApp webhook, in which case the gateway answers 400 and stores nothing.
///
/// A body holds zero or more items, each one event. What is refused: a body that is not JSON
/// (see `JSONParser` for what hostile JSON is refused too), a body of the other sender's shape,
/// an On-Premises body with no messages, statuses or errors or whose arrays are not arrays, and a
/// Cloud envelope whose `object` is not `whatsapp_business_account` or whose `entry` and
/// `changes` are not arrays of objects. Everything inside is an item: an item missing what
/// identifies it, or with a field of the wrong type, is stored as a malformed event
/// (`MalformedItem`) beside the good ones. Unknown keys, message types (`message.unknown`),
/// statuses (`status.unknown`) and webhook fields (`field.<name>`) are all accepted.
public enum WebhookDecoder {
    /// - Parameters:
    ///   - sender: the sender the tenant declared. A body of the other sender's shape is refused,
    ///     since it means a misrouted or misconfigured sender. nil takes either shape, for tools
    ///     such as `coregate decode`.
    ///   - tenant: written into every event.
    /// - Returns: the events in the sender's order: per notification, messages, statuses, errors.
    public static func decode(_ body: [UInt8], sender declared: Sender?, tenant: String, receivedAt: Date) throws(DecodeError) -> [Event] {
        let document: JSONValue
        do {
            document = try JSONParser.parse(body)
        } catch {
            throw DecodeError(error)
        }
        guard case .object = document else {
            throw DecodeError("not a WhatsApp webhook: the body is not a JSON object")
        }
        let root = try Fields(document, at: "")
        let shape: Sender = root.has("object") || root.has("entry") ? .cloud : .onPremises
        if let declared, declared != shape {
            throw DecodeError("the tenant expects \(declared.rawValue) webhooks, but the body is \(shape.bodyName)")
        }
        switch shape {
        case .cloud:
            return try CloudEnvelope.events(in: root, tenant: tenant, receivedAt: receivedAt)
        case .onPremises:
            let origin = EventOrigin(tenant: tenant, source: .onPremises, phoneNumberID: nil, receivedAt: receivedAt)
            let events = try NotificationArrays.events(in: root, origin: origin)
            guard !events.isEmpty else { throw DecodeError("not a WhatsApp webhook: no messages, statuses or errors") }
            return events
        }
    }
}

private extension Sender {
    var bodyName: String {
        switch self {
        case .onPremises: "an On-Premises notification"
        case .cloud: "a Cloud API envelope"
        }
    }
}

import CoregateTenants
@testable import CoregateWhatsApp
import Foundation

/// Decoding as the gateway does it, for bodies written inline in a test.
func decode(_ body: String, sender: Sender? = nil, receivedAt: Date = Date(timeIntervalSince1970: 1_718_400_000)) throws(DecodeError) -> [Event] {
    try WebhookDecoder.decode(Array(body.utf8), sender: sender, tenant: "acme", receivedAt: receivedAt)
}

/// The message `DecodeError` a body is refused with, or nil when it decodes.
func refusal(_ body: [UInt8], sender: Sender? = nil) -> String? {
    do {
        _ = try WebhookDecoder.decode(body, sender: sender, tenant: "acme", receivedAt: Date())
        return nil
    } catch {
        return error.message
    }
}

/// A one-message On-Premises body around a message object written inline.
func onPremisesBody(message: String, contacts: String = #"[{"profile":{"name":"Dana Whitlock"},"wa_id":"15550100777"}]"#) -> String {
    #"{"contacts":\#(contacts),"messages":[\#(message)]}"#
}

/// A one-change Cloud envelope around a `value` written inline (without its metadata).
func cloudBody(value: String) -> String {
    #"{"object":"whatsapp_business_account","entry":[{"id":"219875432100987","changes":[{"field":"messages","value":{"messaging_product":"whatsapp","metadata":{"display_phone_number":"15550100200","phone_number_id":"318264750091234"},\#(value)}}]}]}"#
}

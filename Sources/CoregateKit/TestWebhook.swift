import CoregateTenants
import Foundation

/// A realistic webhook body for `coregate send-test`, in the shape the tenant's sender posts:
/// the On-Premises API's flat body or the Cloud API's envelope.
///
/// Each body gets a fresh message id and the current time, so the gateway's deduplication (which
/// drops a redelivered item by its id) never swallows a second test; an error notification, which
/// has no id, carries a fresh reference in its details for the same reason.
public struct TestWebhook: Sendable {
    /// The event types `send-test` can post, in the order `--help` lists them.
    public static let types = [
        "message.text", "message.image", "message.document", "message.location", "message.reaction",
        "message.interactive", "status.sent", "status.delivered", "status.read", "status.failed", "error",
    ]

    public static let defaultText = "Hello from coregate send-test"

    /// The raw body, as the sender would post it.
    public let body: [UInt8]
    /// The id of the message the body is about (the customer's, or ours for a status).
    public let messageID: String

    /// nil for a type not in `types`.
    public init?(type: String, sender: Sender, phoneNumberID: String?, text: String = defaultText, now: Date = Date()) {
        let cloud = sender == .cloud
        let fresh = TestWebhook.randomToken()
        let messageID = cloud ? "wamid.HBgL" + fresh : "ABGG" + fresh
        let parts = TestItem(cloud: cloud, messageID: messageID, timestamp: String(Int(now.timeIntervalSince1970)), text: text)
        let item: (key: String, json: String)
        switch type {
        case "message.text", "message.image", "message.document", "message.location", "message.reaction",
            "message.interactive":
            item = ("messages", parts.message(kind: String(type.dropFirst("message.".count))))
        case "status.sent", "status.delivered", "status.read", "status.failed":
            item = ("statuses", parts.status(String(type.dropFirst("status.".count))))
        case "error":
            item = ("errors", parts.error(reference: fresh))
        default:
            return nil
        }
        // Contacts come with messages only, as both APIs send them.
        let contacts = item.key == "messages" ? #""contacts":[{"profile":{"name":"Test Customer"},"wa_id":"15550100777"}],"# : ""
        let value = "{\(contacts)\"\(item.key)\":[\(item.json)]}"
        let json = cloud ? TestWebhook.envelope(value, phoneNumberID: phoneNumberID ?? "106540352242922") : value
        self.body = Array(json.utf8)
        self.messageID = messageID
    }

    private static func envelope(_ value: String, phoneNumberID: String) -> String {
        let metadata = #"{"display_phone_number":"15550100200","phone_number_id":\#(quoted(phoneNumberID))}"#
        // The flat value's members, after the Cloud API's own two.
        let members = value.dropFirst()
        return #"{"object":"whatsapp_business_account","entry":[{"id":"219875432100987","changes":[{"field":"messages","value":{"messaging_product":"whatsapp","metadata":\#(metadata),\#(members)}]}]}"#
    }

    /// 24 random characters of the base64url alphabet, as WhatsApp's ids are made of.
    private static func randomToken() -> String {
        let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")
        return String((0..<24).map { _ in alphabet.randomElement()! })
    }

    /// `text` as a JSON string literal.
    static func quoted(_ text: String) -> String {
        let data = try! JSONSerialization.data(withJSONObject: text, options: [.fragmentsAllowed, .withoutEscapingSlashes])
        return String(decoding: data, as: UTF8.self)
    }
}

/// The items, one per event type; where the two APIs differ, the Cloud API's form follows `cloud`.
private struct TestItem {
    let cloud: Bool
    let messageID: String
    let timestamp: String
    let text: String

    func message(kind: String) -> String {
        let content: String = switch kind {
        case "text":
            #"{"body":\#(TestWebhook.quoted(text))}"#
        case "image":
            media(#""mime_type":"image/jpeg","caption":"The hinge cracked on day two, photo attached""#)
        case "document":
            media(#""mime_type":"application/pdf","filename":"invoice-2291.pdf","caption":"Invoice for order 2291""#)
        case "location":
            #"{"latitude":51.507412,"longitude":-0.127758,"name":"Loading bay C","address":"12 Example Yard, London"}"#
        case "reaction":
            #"{"message_id":"\#(cloud ? "wamid.HBgLMTU1NTAxMDA3NzcVAgARGBI" : "gBEGFVVQAQd3Agkl_X-ICLLqTvu")","emoji":"👍"}"#
        default:  // interactive: the customer tapped a reply button
            #"{"type":"button_reply","button_reply":{"id":"slot-friday","title":"Friday 10:00"}}"#
        }
        return #"{"from":"15550100777","id":"\#(messageID)","timestamp":"\#(timestamp)","type":"\#(kind)","\#(kind)":\#(content)}"#
    }

    /// An attachment as each API announces it: the On-Premises API has already downloaded it.
    private func media(_ fields: String) -> String {
        let id = cloud ? "1476223379811098" : "a8a63b4d-63a0-8aed-720d-0f5f249e07d9"
        let file = cloud ? "" : #""file":"/usr/local/wamedia/shared/\#(id)","#
        return #"{\#(file)"id":"\#(id)","sha256":"d7bdd545f09d8a73c2b990337c8211d708a04ccd9748627685e4fc79cc038039",\#(fields)}"#
    }

    func status(_ status: String) -> String {
        var fields = [#""id":"\#(messageID)""#, #""recipient_id":"15550100777""#, #""status":"\#(status)""#, #""timestamp":"\#(timestamp)""#]
        if status == "failed" {
            fields.append(#""errors":[\#(error(code: 131047, title: "Re-engagement message", details: "More than 24 hours have passed since the customer last replied"))]"#)
        } else {
            let origin = cloud ? #","origin":{"type":"service"}"# : ""
            let category = cloud ? #","category":"service""# : ""
            fields.append(#""conversation":{"id":"d454a834ea22d478fcdf07de75e5707c"\#(origin)}"#)
            fields.append(#""pricing":{"billable":false,"pricing_model":"CBP"\#(category)}"#)
        }
        return "{" + fields.joined(separator: ",") + "}"
    }

    /// An error notification is identified by its content, so `reference` makes each one new.
    func error(reference: String) -> String {
        error(code: 131000, title: "Something went wrong", details: "Test error from coregate send-test (\(reference))")
    }

    private func error(code: Int, title: String, details: String) -> String {
        let title = TestWebhook.quoted(title), details = TestWebhook.quoted(details)
        return cloud
            ? #"{"code":\#(code),"title":\#(title),"message":\#(title),"error_data":{"details":\#(details)}}"#
            : #"{"code":\#(code),"title":\#(title),"details":\#(details)}"#
    }
}

import CoregateJSON
import CoregateTenants
import Foundation

/// A realistic webhook body for `coregate send-test`, in the shape the tenant's sender posts:
/// the On-Premises API's flat body or the Cloud API's envelope.
///
/// Each body gets a fresh message id and the current time, so the gateway's deduplication (which
/// drops a redelivered item by its id) never swallows a second test; an error notification or a
/// field change, which have no id, carry a fresh reference for the same reason.
public struct TestWebhook: Sendable {
    /// The event types `send-test` can post for every tenant, in the order `--help` lists them.
    public static let types = [
        "message.text", "message.image", "message.document", "message.location", "message.reaction",
        "message.interactive", "status.sent", "status.delivered", "status.read", "status.failed", "error",
    ]

    /// What only the Cloud API sends.
    public static let cloudTypes = ["message.request_welcome", "message.revoke", "field.account_update"]

    public static func types(for sender: Sender) -> [String] {
        sender == .cloud ? types + cloudTypes : types
    }

    public static let defaultText = "Hello from coregate send-test"

    /// The raw body, as the sender would post it.
    public let body: [UInt8]
    /// The id of the message the body is about (the customer's, or ours for a status).
    public let messageID: String

    /// nil for a type the sender does not send. `usernameOnly` makes the customer a Cloud API
    /// user known only by a username: no phone number, a business-scoped user id instead, as in
    /// Meta's own dashboard test.
    public init?(
        type: String, sender: Sender, phoneNumberID: String?, usernameOnly: Bool = false, text: String = defaultText,
        now: Date = Date()
    ) {
        guard TestWebhook.types(for: sender).contains(type) else { return nil }
        let cloud = sender == .cloud
        let fresh = TestWebhook.randomToken()
        let messageID = cloud ? "wamid.HBgL" + fresh : "ABGG" + fresh
        let timestamp = String(Int(now.timeIntervalSince1970))
        let parts = TestItem(
            cloud: cloud, customer: usernameOnly ? .username : .phone, messageID: messageID, timestamp: timestamp, text: text)
        let phoneNumberID = phoneNumberID ?? "106540352242922"
        let item: (key: String, json: String)
        switch type.prefix(while: { $0 != "." }) {
        case "message": item = ("messages", parts.message(kind: String(type.dropFirst("message.".count))))
        case "status": item = ("statuses", parts.status(String(type.dropFirst("status.".count))))
        case "field":
            // field.account_update: a change of another field, about the business account.
            let value = #"{"phone_number":"15550100200","event":"VERIFIED_ACCOUNT","coregate_test_reference":"\#(fresh)"}"#
            self.body = Array(TestWebhook.envelope(field: "account_update", value: value, time: timestamp).utf8)
            self.messageID = messageID
            return
        default: item = ("errors", parts.error(reference: fresh))
        }
        // Contacts come with messages only, as both APIs send them.
        let contacts = item.key == "messages" ? #""contacts":[\#(parts.customer.contact)],"# : ""
        let members = "\(contacts)\"\(item.key)\":[\(item.json)]"
        let json = cloud ? TestWebhook.envelope(field: "messages", value: TestWebhook.messagesValue(members, phoneNumberID: phoneNumberID)) : "{\(members)}"
        self.body = Array(json.utf8)
        self.messageID = messageID
    }

    /// A `messages` change's value: the Cloud API's own two members, then the items.
    private static func messagesValue(_ members: String, phoneNumberID: String) -> String {
        let metadata = #"{"display_phone_number":"15550100200","phone_number_id":\#(JSONString.quoted(phoneNumberID))}"#
        return #"{"messaging_product":"whatsapp","metadata":\#(metadata),\#(members)}"#
    }

    private static func envelope(field: String, value: String, time: String? = nil) -> String {
        let entryTime = time.map { #","time":\#($0)"# } ?? ""
        return #"{"object":"whatsapp_business_account","entry":[{"id":"219875432100987"\#(entryTime),"changes":[{"field":"\#(field)","value":\#(value)}]}]}"#
    }

    /// 24 random characters of the base64url alphabet, as WhatsApp's ids are made of.
    private static func randomToken() -> String {
        let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")
        return String((0..<24).map { _ in alphabet.randomElement()! })
    }

}

/// The test customer, known by a phone number or, since 2026, only by a username.
private enum TestCustomer {
    case phone, username

    /// Its entry in `contacts[]`.
    var contact: String {
        switch self {
        case .phone: #"{"profile":{"name":"Test Customer"},"wa_id":"15550100777"}"#
        case .username: #"{"profile":{"name":"Test Customer","username":"@testcustomer"},"user_id":"US.13491208655302700777"}"#
        }
    }

    /// How a message names its sender, as a JSON member.
    var sender: String {
        switch self {
        case .phone: #""from":"15550100777""#
        case .username: #""from_user_id":"US.13491208655302700777""#
        }
    }

    /// How a status names its recipient, as a JSON member.
    var recipient: String {
        switch self {
        case .phone: #""recipient_id":"15550100777""#
        case .username: #""recipient_user_id":"US.13491208655302700777""#
        }
    }
}

/// The items, one per event type; where the two APIs differ, the Cloud API's form follows `cloud`.
private struct TestItem {
    let cloud: Bool
    let customer: TestCustomer
    let messageID: String
    let timestamp: String
    let text: String

    func message(kind: String) -> String {
        let content: String = switch kind {
        case "text":
            #"{"body":\#(JSONString.quoted(text))}"#
        case "image":
            media(#""mime_type":"image/jpeg","caption":"The hinge cracked on day two, photo attached""#)
        case "document":
            media(#""mime_type":"application/pdf","filename":"invoice-2291.pdf","caption":"Invoice for order 2291""#)
        case "location":
            #"{"latitude":51.507412,"longitude":-0.127758,"name":"Loading bay C","address":"12 Example Yard, London"}"#
        case "reaction":
            #"{"message_id":"\#(cloud ? "wamid.HBgLMTU1NTAxMDA3NzcVAgARGBI" : "gBEGFVVQAQd3Agkl_X-ICLLqTvu")","emoji":"👍"}"#
        case "revoke":  // the customer deleted a message they had sent
            #"{"original_message_id":"wamid.HBgLMTU1NTAxMDA3NzcVAgASGBQ3OTgwOTFBMkIzQzRENUU2RjcwOAA="}"#
        case "request_welcome":  // a first contact carries no content
            ""
        default:  // interactive: the customer tapped a reply button
            #"{"type":"button_reply","button_reply":{"id":"slot-friday","title":"Friday 10:00"}}"#
        }
        let contentMember = content.isEmpty ? "" : #","\#(kind)":\#(content)"#
        return #"{\#(customer.sender),"id":"\#(messageID)","timestamp":"\#(timestamp)","type":"\#(kind)"\#(contentMember)}"#
    }

    /// An attachment as each API announces it: the On-Premises API has already downloaded it.
    private func media(_ fields: String) -> String {
        let id = cloud ? "1476223379811098" : "a8a63b4d-63a0-8aed-720d-0f5f249e07d9"
        let file = cloud ? "" : #""file":"/usr/local/wamedia/shared/\#(id)","#
        return #"{\#(file)"id":"\#(id)","sha256":"d7bdd545f09d8a73c2b990337c8211d708a04ccd9748627685e4fc79cc038039",\#(fields)}"#
    }

    func status(_ status: String) -> String {
        var fields = [#""id":"\#(messageID)""#, customer.recipient, #""status":"\#(status)""#, #""timestamp":"\#(timestamp)""#]
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
        let title = JSONString.quoted(title), details = JSONString.quoted(details)
        return cloud
            ? #"{"code":\#(code),"title":\#(title),"message":\#(title),"error_data":{"details":\#(details)}}"#
            : #"{"code":\#(code),"title":\#(title),"details":\#(details)}"#
    }
}

@testable import CoregateWhatsApp
import Foundation
import Testing

/// Each spelling difference between senders (WHATSAPP-WEBHOOKS §5) decoded from both sides to the
/// same normalized event; the fixture table covers the same variants in realistic bodies.
@Suite("Known variants")
struct VariantTests {
    /// The normalized part of an event: everything but `raw`, which keeps the sender's spelling.
    private func normalized(_ event: Event) -> Event {
        var event = event
        event.raw = .null
        return event
    }

    @Test("a timestamp as a string of digits or as a number is the same time")
    func timestamps() throws {
        let asString = try decode(onPremisesBody(message: #"{"from":"15550100777","id":"ABEGtime","timestamp":"1718371205","type":"text","text":{"body":"hi"}}"#))
        let asNumber = try decode(onPremisesBody(message: #"{"from":"15550100777","id":"ABEGtime","timestamp":1718371205,"type":"text","text":{"body":"hi"}}"#))
        #expect(asString.map(normalized) == asNumber.map(normalized))
        #expect(asNumber.first?.occurredAt == Date(timeIntervalSince1970: 1_718_371_205))
    }

    @Test("a status's recipient at the top or nested under message is the same recipient")
    func recipient() throws {
        let top = try decode(#"{"statuses":[{"id":"gBEGr","recipient_id":"447700900456","status":"delivered","timestamp":"1718380400"}]}"#)
        let nested = try decode(#"{"statuses":[{"id":"gBEGr","message":{"recipient_id":"447700900456"},"status":"delivered","timestamp":"1718380400"}]}"#)
        #expect(top.map(normalized) == nested.map(normalized))
        #expect(nested.first?.contactKey == "447700900456")
    }

    @Test("a status without any recipient still decodes, with no contact to order by")
    func noRecipient() throws {
        let events = try decode(#"{"statuses":[{"id":"gBEGr","status":"read","timestamp":"1718380400"}]}"#)
        #expect(events.first?.contactKey == nil)
        #expect(events.first?.type == "status.read")
    }

    @Test("user_changed_number with new_wa_id and customer_changed_number with wa_id say the same")
    func changedNumber() throws {
        let onPremises = try decode(onPremisesBody(message: #"{"from":"15550100777","id":"ABEGsys","timestamp":"1718378100","type":"system","system":{"body":"changed","new_wa_id":"15550100778","type":"user_changed_number"}}"#))
        let cloud = try decode(onPremisesBody(message: #"{"from":"15550100777","id":"ABEGsys","timestamp":"1718378100","type":"system","system":{"body":"changed","wa_id":"15550100778","type":"customer_changed_number","customer":"15550100777"}}"#))
        #expect(onPremises.map(normalized) == cloud.map(normalized))
        #expect(cloud.first?.itemBody?["system"]?["new_wa_id"] == .string("15550100778"))
        #expect(cloud.first?.itemBody?["system"]?["type"] == .string("changed_number"))
    }

    @Test("a user who changed their user id has the new one in system.new_user_id")
    func changedUserID() throws {
        let events = try decode(cloudBody(value: #""messages":[{"from_user_id":"US.1349","id":"wamid.s","timestamp":"1749416383","type":"system","system":{"body":"User changed their user id","type":"user_changed_user_id","user_id":"US.2057"}}]"#))
        #expect(events.first?.type == "message.system")
        #expect(events.first?.itemBody?["system"]?["new_user_id"] == .string("US.2057"))
        #expect(events.first?.itemBody?["system"]?["type"] == .string("user_changed_user_id"))
        #expect(events.first?.contactKey == "US.1349")
    }

    @Test("On-Premises type unknown is message.unknown, Cloud type unsupported is message.unsupported")
    func unknownOrUnsupported() throws {
        for (word, type) in [("unknown", "message.unknown"), ("unsupported", "message.unsupported")] {
            let events = try decode(onPremisesBody(message: #"{"from":"15550100777","id":"ABEGunk","timestamp":"1718378400","type":"\#(word)","errors":[{"code":501,"title":"Unknown message type"}]}"#))
            #expect(events.first?.type == type)
            #expect(events.first?.itemBody?["type"] == .string(word))
        }
    }

    @Test("a phone number left out and a phone number sent as an empty string are the same")
    func emptyPhoneNumber() throws {
        let contact = #"[{"profile":{"name":"Sheena Nelson","username":"@sheena"},"user_id":"US.1349"}]"#
        let left = try decode(cloudBody(value: #""contacts":\#(contact),"messages":[{"from_user_id":"US.1349","id":"wamid.u","timestamp":"1749416383","type":"text","text":{"body":"hi"}}]"#))
        let empty = try decode(cloudBody(value: #""contacts":\#(contact.replacingOccurrences(of: "\"user_id\"", with: "\"wa_id\":\"\",\"user_id\"")),"messages":[{"from":"","from_user_id":"US.1349","id":"wamid.u","timestamp":"1749416383","type":"text","text":{"body":"hi"}}]"#))
        #expect(left.map(normalized) == empty.map(normalized))
        #expect(left.first?.contact == Event.Contact(waID: nil, userID: "US.1349", username: "@sheena", parentUserID: nil, name: "Sheena Nelson"))
        #expect(left.first?.contactKey == "US.1349")
    }

    @Test("a status's recipient left out or empty falls back to its user id for ordering")
    func statusUserID() throws {
        for recipient in ["", #","recipient_id":"""#] {
            let events = try decode(#"{"statuses":[{"id":"gBEGu","recipient_user_id":"US.1349"\#(recipient),"status":"read","timestamp":"1718380400"}]}"#)
            #expect(events.first?.contactKey == "US.1349")
            #expect(events.first?.itemBody?["recipient_id"] == .null)
        }
    }

    @Test("with both a phone number and a user id, the phone number orders and the contact carries both")
    func bothIDs() throws {
        let events = try decode(cloudBody(value: #""contacts":[{"profile":{"name":"Dana"},"user_id":"US.77","wa_id":"15550100777"}],"messages":[{"from":"15550100777","id":"wamid.b","timestamp":"1749416383","type":"text","text":{"body":"hi"}}]"#))
        #expect(events.first?.contactKey == "15550100777")
        #expect(events.first?.contact?.userID == "US.77")
    }

    @Test("a group message's statuses, one per participant, are one event each")
    func groupStatuses() throws {
        let status = #"{"id":"wamid.g","status":"read","timestamp":"1718380400","recipient_type":"group","recipient_id":"1203@g.us","recipient_participant_id":"P"}"#
        let events = try decode(cloudBody(value: #""statuses":[\#(status.replacingOccurrences(of: "\"P\"", with: "\"15550100777\"")),\#(status.replacingOccurrences(of: "\"P\"", with: "\"US.1349\""))]"#))
        #expect(events.map(\.id) == ["status:wamid.g:read:15550100777", "status:wamid.g:read:US.1349"])
        // Without a participant, the status of a one-to-one message keeps its old id.
        let single = try decode(#"{"statuses":[{"id":"wamid.g","status":"read","timestamp":"1718380400","recipient_id":"15550100777"}]}"#)
        #expect(single.map(\.id) == ["status:wamid.g:read"])
    }

    @Test("a body without contacts decodes, and the contact then has no name")
    func missingContacts() throws {
        let without = try decode(#"{"messages":[{"from":"15550100777","id":"ABEGnoc","timestamp":"1718371205","type":"text","text":{"body":"hi"}}]}"#)
        let with = try decode(onPremisesBody(message: #"{"from":"15550100777","id":"ABEGnoc","timestamp":"1718371205","type":"text","text":{"body":"hi"}}"#))
        #expect(without.first?.contact == Event.Contact(waID: "15550100777", name: nil))
        #expect(with.first?.contact == Event.Contact(waID: "15550100777", name: "Dana Whitlock"))
    }

    @Test("Cloud error_data.details and On-Premises details are the same details")
    func errorDetails() throws {
        let onPremises = try decode(#"{"errors":[{"code":131047,"title":"Re-engagement message","details":"More than 24 hours"}]}"#)
        let cloud = try decode(cloudBody(value: #""errors":[{"code":131047,"title":"Re-engagement message","message":"Re-engagement message","error_data":{"details":"More than 24 hours"}}]"#))
        #expect(onPremises.first?.item == cloud.first?.item)
        #expect(cloud.first?.item == .error(.object([
            .init("code", .number("131047")), .init("title", .string("Re-engagement message")),
            .init("details", .string("More than 24 hours")), .init("href", .null),
        ])))
    }

    @Test("order quantities and prices as numbers or strings are numbers")
    func orderNumbers() throws {
        let asNumbers = try decode(onPremisesBody(message: #"{"from":"15550100777","id":"ABEGord","timestamp":"1718378700","type":"order","order":{"catalog_id":"1","product_items":[{"product_retailer_id":"A","quantity":2,"item_price":8.99,"currency":"USD"}]}}"#))
        let asStrings = try decode(onPremisesBody(message: #"{"from":"15550100777","id":"ABEGord","timestamp":"1718378700","type":"order","order":{"catalog_id":"1","product_items":[{"product_retailer_id":"A","quantity":"2","item_price":"8.99","currency":"USD"}]}}"#))
        #expect(asNumbers.map(normalized) == asStrings.map(normalized))
    }

    @Test("an id with the trailing space of one of Meta's samples is trimmed")
    func trimmedIDs() throws {
        let events = try decode(onPremisesBody(message: #"{"from":"15550100777 ","id":"ABEGsp","timestamp":"1718371205","type":"text","text":{"body":"hi"}}"#))
        #expect(events.first?.contactKey == "15550100777")
        #expect(events.first?.contact?.name == "Dana Whitlock")
    }
}

extension Event {
    /// The normalized message, status or error body.
    var itemBody: JSONValue? {
        switch item {
        case .message(let body), .status(let body), .error(let body), .field(let body): body
        }
    }
}

import CoregateTenants
@testable import CoregateWhatsApp
import Foundation
import Testing

/// Bodies the gateway must answer 400, because they are no WhatsApp webhook at all: each is
/// refused with a one-line reason naming what is wrong, and none crashes. The reasons are
/// asserted, so a body refused for the wrong reason fails. A bad item inside a good envelope is
/// no refusal: it becomes a malformed event beside the good items (SPEC §6), tested below too.
@Suite("Malformed bodies")
struct MalformedTests {
    struct Case: Sendable, CustomStringConvertible {
        let file: String
        let sender: Sender
        let reason: String
        var description: String { file }
    }

    static let sharedFiles: [Case] = [
        .init(file: "malformed-cloud-empty-entry.json", sender: .cloud, reason: "not a WhatsApp webhook: entry is missing or empty"),
        .init(file: "malformed-cloud-wrong-object-and-value.json", sender: .cloud,
              reason: #"not a WhatsApp webhook: object is "page", not "whatsapp_business_account""#),
        .init(file: "malformed-duplicate-keys.json", sender: .onPremises, reason: #"invalid JSON: duplicate key "messages" at byte 152"#),
        .init(file: "malformed-empty-body.txt", sender: .onPremises, reason: "invalid JSON: the body is empty"),
        .init(file: "malformed-empty-object.json", sender: .onPremises, reason: "not a WhatsApp webhook: no messages, statuses or errors"),
        .init(file: "malformed-form-encoded.txt", sender: .onPremises, reason: "invalid JSON: unexpected byte 0x63 at byte 0"),
        .init(file: "malformed-messages-as-object.json", sender: .onPremises, reason: "messages is not an array"),
        .init(file: "malformed-null.json", sender: .onPremises, reason: "not a WhatsApp webhook: the body is not a JSON object"),
        .init(file: "malformed-plain-text.txt", sender: .cloud, reason: "invalid JSON: unexpected byte 0x74 at byte 0"),
        .init(file: "malformed-single-quotes.json", sender: .onPremises, reason: "invalid JSON: expected a key in quotes at byte 1"),
        .init(file: "malformed-top-level-array.json", sender: .onPremises, reason: "not a WhatsApp webhook: the body is not a JSON object"),
        .init(file: "malformed-trailing-garbage.json", sender: .onPremises, reason: "invalid JSON: more data after the JSON value at byte 370"),
        .init(file: "malformed-truncated.json", sender: .onPremises, reason: "invalid JSON: the body ends in the middle of a value at byte 222"),
        .init(file: "malformed-wrong-types.json", sender: .onPremises, reason: "contacts is not an array"),
    ]

    @Test("each malformed fixture is refused with its reason", arguments: sharedFiles)
    func sharedFile(_ malformed: Case) throws {
        let body = try Fixtures.body(malformed.file, in: "malformed")
        #expect(refusal(body, sender: malformed.sender) == malformed.reason)
        #expect(refusal(body) != nil, "refused whichever sender is declared")
    }

    @Test("every file in malformed/ is in the table, except the two whose envelope is good")
    func everyFileIsCovered() throws {
        let files = try Fixtures.names(in: "malformed")
        #expect(Set(files) == Set(Self.sharedFiles.map(\.file) + ["malformed-unknown-message-type.json", "malformed-missing-required-fields.json"]))
    }

    @Test("items missing what identifies them are stored as malformed events, each with its reason")
    func missingRequiredFieldsAreMalformedEvents() throws {
        let body = try Fixtures.body("malformed-missing-required-fields.json", in: "malformed")
        let events = try WebhookDecoder.decode(body, sender: .onPremises, tenant: "acme", receivedAt: Date())
        #expect(events.map(\.type) == ["message.unknown", "status.unknown"])
        #expect(events.map(\.decodeError) == ["messages[0].id is missing", "statuses[0].id is missing"])
        #expect(events.first?.raw["text"]?["body"] == .string("no id, no from, no timestamp"))
        #expect(events.allSatisfy { $0.id.hasPrefix("malformed:") && $0.contact == nil && $0.occurredAt == nil })
    }

    @Test("a type nobody knows yet is a message.unknown event with its raw object, not a refusal")
    func unknownTypeIsAccepted() throws {
        let body = try Fixtures.body("malformed-unknown-message-type.json", in: "malformed")
        let events = try WebhookDecoder.decode(body, sender: .onPremises, tenant: "acme", receivedAt: Date())
        #expect(events.map(\.type) == ["message.unknown"])
        #expect(events.first?.itemBody?["type"] == .string("hologram"))
        #expect(events.first?.raw["hologram"]?["note"] == .string("type value the gateway has never seen"))
    }

    static let message = #""from":"15550100777","id":"ABEGx","timestamp":"1718371205""#

    static let inlineBodies: [(body: String, sender: Sender?, reason: String)] = [
        (cloudBody(value: #""messages":[]"#), .onPremises,
         "the tenant expects on-premises webhooks, but the body is a Cloud API envelope"),
        (#"{"messages":[{\#(message),"type":"text","text":{"body":"hi"}}]}"#, .cloud,
         "the tenant expects cloud webhooks, but the body is an On-Premises notification"),
        (#"{"messages":[]}"#, nil, "not a WhatsApp webhook: no messages, statuses or errors"),
        (#"{"contacts":[{"wa_id":"15550100777"}]}"#, nil, "not a WhatsApp webhook: no messages, statuses or errors"),
        (#"{"messages":[{"x":1}],"statuses":"none"}"#, nil, "statuses is not an array"),
        (#"{"object":"whatsapp_business_account","entry":[{"id":"1"}]}"#, nil, "entry[0].changes is missing"),
        (#"{"object":"whatsapp_business_account","entry":["x"]}"#, nil, "entry[0] is not an object"),
        (#"{"entry":[]}"#, nil, #"not a WhatsApp webhook: object is missing, not "whatsapp_business_account""#),
        (#"{"messages":[{"a":1,"b":{"c":2,"c":3}}]}"#, nil, #"invalid JSON: duplicate key "c" at byte 31"#),
        (#"{"messages":[],"\u0001\"key\"":1,"\u0001\"key\"":2}"#, nil, #"invalid JSON: duplicate key "??key?" at byte 33"#),
    ]

    /// Bodies with one bad item: each decodes to exactly one malformed event with this reason.
    static let malformedItems: [(body: String, type: String, reason: String)] = [
        (#"{"messages":[{"from":"15550100777","id":"ABEGx","timestamp":"1718371205.5","type":"text","text":{"body":"hi"}}]}"#,
         "message.unknown", "messages[0].timestamp is not a Unix time in seconds"),
        (#"{"messages":[{"from":"15550100777","id":"ABEGx","timestamp":1718371205000,"type":"text","text":{"body":"hi"}}]}"#,
         "message.unknown", "messages[0].timestamp is not a Unix time in seconds"),
        (#"{"messages":[{"from":"15550100777","id":"ABEGx","timestamp":-5,"type":"text","text":{"body":"hi"}}]}"#,
         "message.unknown", "messages[0].timestamp is not a Unix time in seconds"),
        (#"{"messages":[{"from":"15550100777","id":"ABEGx","timestamp":true,"type":"text","text":{"body":"hi"}}]}"#,
         "message.unknown", "messages[0].timestamp is not a Unix time"),
        (#"{"messages":[{"from":"15550100777","id":"AB\u0000EG","timestamp":"1718371205","type":"text","text":{"body":"hi"}}]}"#,
         "message.unknown", "messages[0].id is not an id (1 to 256 printable ASCII characters)"),
        (#"{"messages":[{"from":"15550100777","id":"AB\nEG","timestamp":"1718371205","type":"text","text":{"body":"hi"}}]}"#,
         "message.unknown", "messages[0].id is not an id (1 to 256 printable ASCII characters)"),
        (#"{"messages":[{"from":"   ","id":"ABEGx","timestamp":"1718371205","type":"text","text":{"body":"hi"}}]}"#,
         "message.unknown", "messages[0].from is not an id (1 to 256 printable ASCII characters)"),
        (#"{"messages":[{"from":"15550100777","id":"\#(String(repeating: "A", count: 257))","timestamp":"1718371205","type":"text","text":{"body":"hi"}}]}"#,
         "message.unknown", "messages[0].id is not an id (1 to 256 printable ASCII characters)"),
        (#"{"messages":[{\#(message)}]}"#, "message.unknown", "messages[0].type is missing"),
        (#"{"messages":[{\#(message),"type":"text"}]}"#, "message.unknown", "messages[0].text is missing"),
        (#"{"messages":[{\#(message),"type":"text","text":"hi"}]}"#, "message.unknown", "messages[0].text is not an object"),
        (#"{"messages":[{\#(message),"type":"text","text":{"body":["not","a","string"]}}]}"#, "message.unknown",
         "messages[0].text.body is not a string"),
        (#"{"messages":[{\#(message),"type":"image","image":{"mime_type":"image/png"}}]}"#, "message.unknown",
         "messages[0].image.id is missing"),
        (#"{"messages":[{\#(message),"type":"location","location":{"latitude":1e400,"longitude":0}}]}"#, "message.unknown",
         "messages[0].location.latitude is not a finite number"),
        (#"{"messages":[{\#(message),"type":"location","location":{"latitude":"north","longitude":0}}]}"#, "message.unknown",
         "messages[0].location.latitude is not a number"),
        (#"{"messages":[{\#(message),"type":"contacts"}]}"#, "message.unknown", "messages[0].contacts is missing"),
        (#"{"messages":[{\#(message),"type":"reaction","reaction":{"emoji":"👍"}}]}"#, "message.unknown",
         "messages[0].reaction.message_id is missing"),
        (#"{"messages":[{\#(message),"type":"revoke","revoke":{}}]}"#, "message.unknown",
         "messages[0].revoke.original_message_id is missing"),
        (#"{"messages":[{\#(message),"type":"text","text":{"body":"hi"},"context":{"forwarded":"yes"}}]}"#, "message.unknown",
         "messages[0].context.forwarded is not true or false"),
        (#"{"messages":["just a string"]}"#, "message.unknown", "messages[0] is not an object"),
        (#"{"statuses":[{"id":"gBEGx","status":"Read","timestamp":"1718380000"}]}"#, "status.unknown",
         "statuses[0].status is not a lowercase word"),
        (#"{"statuses":[{"id":"gBEGx","status":true,"timestamp":"1718380000"}]}"#, "status.unknown",
         "statuses[0].status is not a string"),
        (#"{"statuses":[{"id":"gBEGx","status":"read"}]}"#, "status.unknown", "statuses[0].timestamp is missing"),
        (#"{"errors":[{"title":"no code"}]}"#, "error", "errors[0].code is missing"),
        (#"{"errors":[{"code":"E42"}]}"#, "error", "errors[0].code is not an integer"),
        (#"{"errors":["just a string"]}"#, "error", "errors[0] is not an object"),
        (#"{"object":"whatsapp_business_account","entry":[{"id":"1","changes":[{"value":{}}]}]}"#, "error",
         "entry[0].changes[0].field is missing"),
        (#"{"object":"whatsapp_business_account","entry":[{"id":"1","changes":[{"field":"Account Update","value":{}}]}]}"#, "error",
         "entry[0].changes[0].field is not a lowercase word"),
        (#"{"object":"whatsapp_business_account","entry":[{"id":"1","changes":[{"field":"calls","value":[]}]}]}"#, "error",
         "entry[0].changes[0].value is not an object"),
        (#"{"object":"whatsapp_business_account","entry":[{"id":"1","changes":[{"field":"messages","value":{"messages":[]}}]}]}"#, "error",
         "entry[0].changes[0].value.metadata is missing"),
        (cloudBody(value: #""messages":[{"id":"wamid.x","timestamp":"1718381000","type":"text","text":{"body":"hi"}}]"#), "message.unknown",
         "entry[0].changes[0].value.messages[0].from and from_user_id are both missing"),
        (cloudBody(value: #""messages":[{"from":"","from_user_id":"","id":"wamid.x","timestamp":"1718381000","type":"text","text":{"body":"hi"}}]"#),
         "message.unknown", "entry[0].changes[0].value.messages[0].from and from_user_id are both missing"),
    ]

    @Test("a body that is no WhatsApp webhook is refused with its path", arguments: inlineBodies.indices)
    func inline(_ index: Int) {
        let (body, sender, reason) = Self.inlineBodies[index]
        #expect(refusal(Array(body.utf8), sender: sender) == reason, "\(body.prefix(120))")
    }

    @Test("an item missing what identifies it, or with a field of the wrong type, is a malformed event with its path",
          arguments: malformedItems.indices)
    func malformedItem(_ index: Int) throws {
        let (body, type, reason) = Self.malformedItems[index]
        let events = try decode(body)
        try #require(events.count == 1, "\(body.prefix(120))")
        let event = events[0]
        #expect(event.type == type)
        #expect(event.decodeError == reason)
        #expect(event.id.hasPrefix("malformed:") && event.contactKey == nil && event.occurredAt == nil)
        #expect(event.raw == (try JSONParser.parse(Array(body.utf8))).firstItem)
        // The coregate parser, not Foundation's: these lines may hold numbers such as 1e400.
        let line = try JSONParser.parse(event.jsonLine())
        #expect(line["decode_error"] == .string(reason))
        #expect(line[String(type.prefix { $0 != "." })] == .null)
    }

    @Test("a malformed item costs only itself: the good items of its body are decoded as usual")
    func goodItemsSurvive() throws {
        let good = #"{"from":"15550100777","id":"ABEGgood","timestamp":"1718371205","type":"text","text":{"body":"hi"}}"#
        let events = try decode(#"{"messages":[\#(good),{"id":"ABEGbad"},\#(good.replacingOccurrences(of: "ABEGgood", with: "ABEGgood2"))]}"#)
        #expect(events.map(\.type) == ["message.text", "message.unknown", "message.text"])
        #expect(events.map(\.id).filter { $0.hasPrefix("msg:") } == ["msg:ABEGgood", "msg:ABEGgood2"])
        #expect(events[1].decodeError == "messages[1].from and from_user_id are both missing")
    }

    @Test("two different malformed items get different ids, and the same item always the same")
    func malformedIDs() throws {
        let first = try decode(#"{"messages":[{"id":"ABEG1"},{"id":"ABEG2"}]}"#)
        let again = try decode(#"{"messages":[{"id":"ABEG1"},{"id":"ABEG2"}]}"#)
        #expect(first[0].id != first[1].id)
        #expect(first.map(\.id) == again.map(\.id))
        // The same object as a status is another item, with another id.
        let asStatus = try decode(#"{"statuses":[{"id":"ABEG1"}]}"#)
        #expect(asStatus[0].id != first[0].id)
    }

    @Test("every reason is one line of printable text, safe in a 400 body and an event")
    func reasonsAreOneLine() throws {
        var reasons = Self.inlineBodies.compactMap { refusal(Array($0.body.utf8), sender: $0.sender) }
        for malformed in Self.sharedFiles {
            reasons += [refusal(try Fixtures.body(malformed.file, in: "malformed"), sender: malformed.sender)].compactMap { $0 }
        }
        for item in Self.malformedItems {
            reasons += try decode(item.body).compactMap(\.decodeError)
        }
        #expect(reasons.count == Self.inlineBodies.count + Self.sharedFiles.count + Self.malformedItems.count)
        for reason in reasons {
            #expect(reason.unicodeScalars.allSatisfy { $0.value >= 0x20 && $0.value != 0x7F }, "\(reason)")
            #expect(reason.count < 200)
        }
    }
}

extension JSONValue {
    /// The only item of a one-item body, On-Premises or Cloud: what a malformed event keeps as `raw`.
    fileprivate var firstItem: JSONValue? {
        if case .array(let entries)? = self["entry"], case .array(let changes)? = entries.first?["changes"] {
            guard let change = changes.first, change["field"] == .string("messages"), let value = change["value"] else {
                return changes.first
            }
            return value.firstItem ?? change
        }
        for key in ["messages", "statuses", "errors"] {
            if case .array(let items)? = self[key] { return items.first }
        }
        return nil
    }
}

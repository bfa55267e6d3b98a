@testable import CoregateWhatsApp
import Foundation
import Testing

/// Bodies the gateway must answer 400: each is refused with a one-line reason naming what is
/// wrong, and none crashes. The reasons are asserted, so a body refused for the wrong reason fails.
@Suite("Malformed bodies")
struct MalformedTests {
    struct Case: Sendable, CustomStringConvertible {
        let file: String
        let sender: String
        let reason: String
        var description: String { file }
    }

    static let sharedFiles: [Case] = [
        .init(file: "malformed-cloud-empty-entry.json", sender: "cloud", reason: "not a WhatsApp webhook: entry is missing or empty"),
        .init(file: "malformed-cloud-wrong-object-and-value.json", sender: "cloud",
              reason: #"not a WhatsApp webhook: object is "page", not "whatsapp_business_account""#),
        .init(file: "malformed-duplicate-keys.json", sender: "on-premises", reason: #"invalid JSON: duplicate key "messages" at byte 152"#),
        .init(file: "malformed-empty-body.txt", sender: "on-premises", reason: "invalid JSON: the body is empty"),
        .init(file: "malformed-empty-object.json", sender: "on-premises", reason: "not a WhatsApp webhook: no messages, statuses or errors"),
        .init(file: "malformed-form-encoded.txt", sender: "on-premises", reason: "invalid JSON: unexpected byte 0x63 at byte 0"),
        .init(file: "malformed-messages-as-object.json", sender: "on-premises", reason: "messages is not an array"),
        .init(file: "malformed-missing-required-fields.json", sender: "on-premises", reason: "messages[0].id is missing"),
        .init(file: "malformed-null.json", sender: "on-premises", reason: "not a WhatsApp webhook: the body is not a JSON object"),
        .init(file: "malformed-plain-text.txt", sender: "cloud", reason: "invalid JSON: unexpected byte 0x74 at byte 0"),
        .init(file: "malformed-single-quotes.json", sender: "on-premises", reason: "invalid JSON: expected a key in quotes at byte 1"),
        .init(file: "malformed-top-level-array.json", sender: "on-premises", reason: "not a WhatsApp webhook: the body is not a JSON object"),
        .init(file: "malformed-trailing-garbage.json", sender: "on-premises", reason: "invalid JSON: more data after the JSON value at byte 370"),
        .init(file: "malformed-truncated.json", sender: "on-premises", reason: "invalid JSON: the body ends in the middle of a value at byte 222"),
        .init(file: "malformed-wrong-types.json", sender: "on-premises", reason: "contacts is not an array"),
    ]

    @Test("each malformed fixture is refused with its reason", arguments: sharedFiles)
    func sharedFile(_ malformed: Case) throws {
        let body = try Fixtures.body(malformed.file, in: "malformed")
        #expect(refusal(body, sender: malformed.sender) == malformed.reason)
        #expect(refusal(body) != nil, "refused whichever sender is declared")
    }

    @Test("every file in malformed/ is in the table, except the unknown type that is no error")
    func everyFileIsCovered() throws {
        let files = try Fixtures.names(in: "malformed")
        #expect(Set(files) == Set(Self.sharedFiles.map(\.file) + ["malformed-unknown-message-type.json"]))
    }

    @Test("a type nobody knows yet is a message.unknown event with its raw object, not a refusal")
    func unknownTypeIsAccepted() throws {
        let body = try Fixtures.body("malformed-unknown-message-type.json", in: "malformed")
        let events = try WebhookDecoder.decode(body, sender: "on-premises", tenant: "acme", receivedAt: Date())
        #expect(events.map(\.type) == ["message.unknown"])
        #expect(events.first?.itemBody?["type"] == .string("hologram"))
        #expect(events.first?.raw["hologram"]?["note"] == .string("type value the gateway has never seen"))
    }

    static let message = #""from":"15550100777","id":"ABEGx","timestamp":"1718371205""#

    static let inlineBodies: [(body: String, sender: String?, reason: String)] = [
        (cloudBody(value: #""messages":[]"#), "on-premises",
         "the tenant expects on-premises webhooks, but the body is a Cloud API envelope"),
        (#"{"messages":[{\#(message),"type":"text","text":{"body":"hi"}}]}"#, "cloud",
         "the tenant expects cloud webhooks, but the body is an On-Premises notification"),
        (#"{"messages":[{\#(message),"type":"text","text":{"body":"hi"}}]}"#, "coreapp",
         #"unknown sender "coreapp"; expected on-premises or cloud"#),
        (#"{"messages":[]}"#, nil, "not a WhatsApp webhook: no messages, statuses or errors"),
        (#"{"contacts":[{"wa_id":"15550100777"}]}"#, nil, "not a WhatsApp webhook: no messages, statuses or errors"),
        (#"{"messages":[{"from":"15550100777","id":"ABEGx","timestamp":"1718371205.5","type":"text","text":{"body":"hi"}}]}"#, nil,
         "messages[0].timestamp is not a Unix time in seconds"),
        (#"{"messages":[{"from":"15550100777","id":"ABEGx","timestamp":1718371205000,"type":"text","text":{"body":"hi"}}]}"#, nil,
         "messages[0].timestamp is not a Unix time in seconds"),
        (#"{"messages":[{"from":"15550100777","id":"ABEGx","timestamp":-5,"type":"text","text":{"body":"hi"}}]}"#, nil,
         "messages[0].timestamp is not a Unix time in seconds"),
        (#"{"messages":[{"from":"15550100777","id":"ABEGx","timestamp":true,"type":"text","text":{"body":"hi"}}]}"#, nil,
         "messages[0].timestamp is not a Unix time"),
        (#"{"messages":[{"from":"15550100777","id":"AB\u0000EG","timestamp":"1718371205","type":"text","text":{"body":"hi"}}]}"#, nil,
         "messages[0].id is not an id (1 to 256 printable ASCII characters)"),
        (#"{"messages":[{"from":"15550100777","id":"AB\nEG","timestamp":"1718371205","type":"text","text":{"body":"hi"}}]}"#, nil,
         "messages[0].id is not an id (1 to 256 printable ASCII characters)"),
        (#"{"messages":[{"from":"   ","id":"ABEGx","timestamp":"1718371205","type":"text","text":{"body":"hi"}}]}"#, nil,
         "messages[0].from is not an id (1 to 256 printable ASCII characters)"),
        (#"{"messages":[{"from":"15550100777","id":"\#(String(repeating: "A", count: 257))","timestamp":"1718371205","type":"text","text":{"body":"hi"}}]}"#, nil,
         "messages[0].id is not an id (1 to 256 printable ASCII characters)"),
        (#"{"messages":[{\#(message)}]}"#, nil, "messages[0].type is missing"),
        (#"{"messages":[{\#(message),"type":"text"}]}"#, nil, "messages[0].text is missing"),
        (#"{"messages":[{\#(message),"type":"text","text":"hi"}]}"#, nil, "messages[0].text is not an object"),
        (#"{"messages":[{\#(message),"type":"text","text":{"body":["not","a","string"]}}]}"#, nil, "messages[0].text.body is not a string"),
        (#"{"messages":[{\#(message),"type":"image","image":{"mime_type":"image/png"}}]}"#, nil, "messages[0].image.id is missing"),
        (#"{"messages":[{\#(message),"type":"location","location":{"latitude":1e400,"longitude":0}}]}"#, nil,
         "messages[0].location.latitude is not a finite number"),
        (#"{"messages":[{\#(message),"type":"location","location":{"latitude":"north","longitude":0}}]}"#, nil,
         "messages[0].location.latitude is not a number"),
        (#"{"messages":[{\#(message),"type":"contacts"}]}"#, nil, "messages[0].contacts is missing"),
        (#"{"messages":[{\#(message),"type":"reaction","reaction":{"emoji":"👍"}}]}"#, nil, "messages[0].reaction.message_id is missing"),
        (#"{"messages":[{\#(message),"type":"text","text":{"body":"hi"},"context":{"forwarded":"yes"}}]}"#, nil,
         "messages[0].context.forwarded is not true or false"),
        (#"{"statuses":[{"id":"gBEGx","status":"Read","timestamp":"1718380000"}]}"#, nil, "statuses[0].status is not a lowercase word"),
        (#"{"statuses":[{"id":"gBEGx","status":true,"timestamp":"1718380000"}]}"#, nil, "statuses[0].status is not a string"),
        (#"{"statuses":[{"id":"gBEGx","status":"read"}]}"#, nil, "statuses[0].timestamp is missing"),
        (#"{"errors":[{"title":"no code"}]}"#, nil, "errors[0].code is missing"),
        (#"{"errors":[{"code":"E42"}]}"#, nil, "errors[0].code is not an integer"),
        (#"{"errors":["just a string"]}"#, nil, "errors[0] is not an object"),
        (#"{"object":"whatsapp_business_account","entry":[{"id":"1"}]}"#, nil, "entry[0].changes is missing"),
        (#"{"object":"whatsapp_business_account","entry":[{"id":"1","changes":[{"value":{}}]}]}"#, nil, "entry[0].changes[0].field is missing"),
        (#"{"object":"whatsapp_business_account","entry":[{"id":"1","changes":[{"field":"messages","value":{"messages":[]}}]}]}"#, nil,
         "entry[0].changes[0].value.metadata is missing"),
        (cloudBody(value: #""messages":[{"id":"wamid.x","timestamp":"1718381000","type":"text","text":{"body":"hi"}}]"#), nil,
         "entry[0].changes[0].value.messages[0].from is missing"),
        (#"{"entry":[]}"#, nil, #"not a WhatsApp webhook: object is missing, not "whatsapp_business_account""#),
        (#"{"messages":[{"a":1,"b":{"c":2,"c":3}}]}"#, nil, #"invalid JSON: duplicate key "c" at byte 31"#),
        (#"{"messages":[],"\u0001\"key\"":1,"\u0001\"key\"":2}"#, nil, #"invalid JSON: duplicate key "??key?" at byte 33"#),
    ]

    @Test("a body missing what identifies an item, or with a field of the wrong type, is refused with its path",
          arguments: inlineBodies.indices)
    func inline(_ index: Int) {
        let (body, sender, reason) = Self.inlineBodies[index]
        #expect(refusal(Array(body.utf8), sender: sender) == reason, "\(body.prefix(120))")
    }

    @Test("every reason is one line of printable text, safe in a 400 body")
    func reasonsAreOneLine() throws {
        var reasons = Self.inlineBodies.compactMap { refusal(Array($0.body.utf8), sender: $0.sender) }
        for malformed in Self.sharedFiles {
            reasons += [refusal(try Fixtures.body(malformed.file, in: "malformed"), sender: malformed.sender)].compactMap { $0 }
        }
        #expect(reasons.count == Self.inlineBodies.count + Self.sharedFiles.count)
        for reason in reasons {
            #expect(reason.unicodeScalars.allSatisfy { $0.value >= 0x20 && $0.value != 0x7F }, "\(reason)")
            #expect(reason.count < 200)
        }
    }
}

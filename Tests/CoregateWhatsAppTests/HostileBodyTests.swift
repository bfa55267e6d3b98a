import CoregateTenants
@testable import CoregateWhatsApp
import Foundation
import Testing

/// The gateway must never crash or run out of memory on a body; the size limit (413) is the HTTP
/// layer's, so here even the large valid bodies decode.
@Suite("Hostile bodies")
struct HostileBodyTests {
    @Test("a large or pathological body is refused or decoded as it should be, never a crash", arguments: HostileBody.all)
    func hostile(_ hostile: HostileBody) {
        let body = hostile.make()
        switch hostile.outcome {
        case .refused(let reason):
            let refused = refusal(body, sender: .onPremises)
            #expect(refused?.hasPrefix(reason) == true, "\(refused ?? "decoded")")
        case .decoded(let count):
            #expect(throws: Never.self) {
                let events = try WebhookDecoder.decode(body, sender: .onPremises, tenant: "acme", receivedAt: Date())
                #expect(events.count == count)
                #expect(Set(events.map(\.id)).count == count)
            }
        }
    }

    @Test("every case of the shared generator is reproduced here")
    func coversTheGenerator() {
        // gen_malformed.py also writes gzip-bomb.json.gz: another gzip body, refused the same way.
        let generated = ["huge-string-ascii.json", "huge-string-emoji.json", "huge-string-escapes.json", "huge-key-name.json",
                         "deep-array-10000.json", "deep-object-10000.json", "deep-in-context-10000.json",
                         "deep-unclosed-10000.json", "many-messages-100000.json", "over-limit-by-one.json",
                         "huge-number-literal.json", "utf8-bom.json", "utf16le.json", "invalid-utf8.json",
                         "lone-surrogate-escape.json", "raw-nul-in-string.json", "escaped-nul-in-string.json",
                         "whitespace-flood.json", "gzip-body.json.gz"]
        #expect(HostileBody.all.map(\.name) == generated)
    }

    @Test("huge strings arrive whole: ASCII, 4-byte characters and \\u escapes")
    func hugeStrings() throws {
        for (name, expected) in [("huge-string-ascii.json", HostileBody.hugeBytes), ("huge-string-emoji.json", HostileBody.hugeBytes / 4),
                                 ("huge-string-escapes.json", HostileBody.hugeBytes / 6)] {
            let hostile = try #require(HostileBody.all.first { $0.name == name })
            let events = try WebhookDecoder.decode(hostile.make(), sender: nil, tenant: "acme", receivedAt: Date())
            guard case .string(let text)? = events.first?.itemBody?["text"] else { Issue.record("no text in \(name)"); continue }
            #expect(text.count == expected, "\(name)")
        }
    }

    @Test("a UTF-8 byte-order mark is skipped and the body reads as without it")
    func byteOrderMark() throws {
        let withMark = try WebhookDecoder.decode([0xEF, 0xBB, 0xBF] + HostileBody.bytes(HostileBody.good), sender: nil, tenant: "acme", receivedAt: Date())
        #expect(withMark.first?.itemBody?["text"] == .string("café"))
    }

    @Test("an escaped NUL stays inside the text and leaves the line escaped, never raw")
    func escapedNUL() throws {
        let events = try WebhookDecoder.decode(HostileBody.replacingCafe(with: HostileBody.bytes(#"caf\u0000e"#)), sender: nil, tenant: "acme", receivedAt: Date())
        #expect(events.first?.itemBody?["text"] == .string("caf\u{0}e"))
        let line = try #require(events.first?.jsonLine())
        #expect(!line.contains(0))
        #expect(String(decoding: line, as: UTF8.self).contains(#""text":"caf\u0000e""#))
    }

    @Test("nesting up to the limit is fine, one level more is refused")
    func depthLimit() {
        func nested(_ depth: Int) -> [UInt8] {
            // The body, `messages` and the message itself are the first three levels.
            let context = String(repeating: #"{"x":"#, count: depth - 3) + "null" + String(repeating: "}", count: depth - 3)
            return HostileBody.bytes(#"{"messages":[{"from":"1","id":"A","timestamp":"1","type":"text","text":{"body":"hi"},"x":\#(context)}]}"#)
        }
        #expect(refusal(nested(JSONParser.maxDepth)) == nil)
        #expect(refusal(nested(JSONParser.maxDepth + 1))?.hasPrefix("invalid JSON: nested deeper than 64 levels") == true)
    }
}

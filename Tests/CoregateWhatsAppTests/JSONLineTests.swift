import CoregateTenants
@testable import CoregateWhatsApp
import Foundation
import Testing

/// The line a handler reads on stdin (SPEC §6).
@Suite("JSON line")
struct JSONLineTests {
    private func line(_ body: String, receivedAt: Date = Date(timeIntervalSince1970: 1_718_400_000.123)) throws -> String {
        let events = try decode(body, receivedAt: receivedAt)
        return String(decoding: try #require(events.first).jsonLine(), as: UTF8.self)
    }

    @Test("one line without a trailing newline, keys in SPEC order, the item as received in raw")
    func layout() throws {
        let message = #"{"from":"15550100777","id":"ABEGline","timestamp":"1718371205","type":"text","text":{"body":"two\nlines / \"quoted\" \u0007 é"},"x_vendor":{"n":12.50,"big":123456789012345678901234567890}}"#
        let text = try line(#"{"messages":[\#(message)]}"#)
        #expect(!text.contains("\n"))
        #expect(text.hasPrefix(#"{"version":1,"id":"msg:ABEGline","tenant":"acme","type":"message.text","source":"on-premises","occurred_at":"2024-06-14T13:20:05Z","received_at":"2024-06-14T21:20:00.123Z","phone_number_id":null,"contact":{"wa_id":"15550100777","user_id":null,"username":null,"parent_user_id":null,"name":null},"message":{"id":"ABEGline","from":"15550100777","from_user_id":null,"group_id":null,"type":"text","context":null,"referral":null,"text":"two\nlines / \"quoted\" \u0007 é"},"decode_error":null,"raw":"#))
        #expect(text.hasSuffix(#","raw":\#(message.replacingOccurrences(of: #"\u00e9"#, with: "é"))}"#))
    }

    @Test("received_at has milliseconds, occurred_at whole seconds, both UTC", arguments: [
        (0.0, "1970-01-01T00:00:00.000Z"),
        (951_782_400.5, "2000-02-29T00:00:00.500Z"),
        (1_709_164_799.9996, "2024-02-29T00:00:00.000Z"),
        (1_718_400_000.001, "2024-06-14T21:20:00.001Z"),
        (253_402_300_799.0, "9999-12-31T23:59:59.000Z"),
    ])
    func receivedAt(_ seconds: Double, _ expected: String) throws {
        let text = try line(#"{"errors":[{"code":1}]}"#, receivedAt: Date(timeIntervalSince1970: seconds))
        #expect(text.contains(#""received_at":"\#(expected)""#))
    }

    @Test("occurred_at is the upstream time in RFC 3339", arguments: [
        ("0", "1970-01-01T00:00:00Z"), ("951782400", "2000-02-29T00:00:00Z"), ("1718371205", "2024-06-14T13:20:05Z"),
        ("4102444800", "2100-01-01T00:00:00Z"), ("253402300799", "9999-12-31T23:59:59Z"),
    ])
    func occurredAt(_ timestamp: String, _ expected: String) throws {
        let text = try line(#"{"statuses":[{"id":"gBEG","status":"sent","timestamp":"\#(timestamp)"}]}"#)
        #expect(text.contains(#""occurred_at":"\#(expected)""#))
    }

    @Test("the line reads back with Foundation as the same values")
    func readsBack() throws {
        let events = try WebhookDecoder.decode(try Fixtures.body("onprem-inbound-sticker.json"), sender: nil, tenant: "acme", receivedAt: Date())
        let object = try JSONSerialization.jsonObject(with: Data(try #require(events.first).jsonLine())) as? [String: Any]
        let raw = object?["raw"] as? [String: Any]
        let sticker = raw?["sticker"] as? [String: Any]
        let metadata = sticker?["metadata"] as? [String: Any]
        #expect(metadata?["emojis"] as? [String] == ["🐱", "👍"])
        #expect(metadata?["sticker-pack-name"] as? String == "Office Cats")
    }
}

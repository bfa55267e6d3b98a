/// The large and pathological bodies of the shared `gen_malformed.py`, made here byte for byte
/// as it makes them with its default sizes (8 MiB strings, depth 10 000, 100 000 messages, a 3 MiB
/// limit), so the package tests them without Python or the shared folder. Only the gzip bodies are
/// stood in for by a gzip header: the decoder never inflates. Each says what the decoder must do.
struct HostileBody: Sendable, CustomStringConvertible {
    enum Outcome: Sendable, Equatable {
        /// Refused with a reason that starts with this.
        case refused(String)
        /// Decoded into this many events.
        case decoded(Int)
    }

    let name: String
    let outcome: Outcome
    let make: @Sendable () -> [UInt8]

    var description: String { name }

    static let hugeBytes = 8 * 1024 * 1024
    static let depth = 10_000
    static let many = 100_000
    static let limitBytes = 3 * 1024 * 1024

    static let baseContact = #"{"profile": {"name": "Dana Whitlock"}, "wa_id": "15550100777"}"#

    /// Python's `json.dumps` of a one-message body with text "café": default separators, `\u00e9`.
    static let good = #"{"contacts": [\#(baseContact)], "messages": [{"from": "15550100777", "id": "ABEGFVVQAQd3AgoGEN0000000000001", "timestamp": "1718400001", "type": "text", "text": {"body": "caf\u00e9"}}]}"#

    static func bytes(_ text: String) -> [UInt8] { Array(text.utf8) }

    static func replacingCafe(with replacement: [UInt8]) -> [UInt8] {
        let good = bytes(Self.good)
        let needle = bytes(#"caf\u00e9"#)
        let start = good.indices.first { good[$0...].starts(with: needle) }!
        return Array(good[..<start]) + replacement + Array(good[(start + needle.count)...])
    }

    static let all: [HostileBody] = [
        HostileBody(name: "huge-string-ascii.json", outcome: .decoded(1)) {
            bytes(#"{"contacts":[\#(baseContact)],"messages":[{"from":"15550100777","id":"ABEGFVVQAQd3AgoHUGE000000001","timestamp":"1718400000","type":"text","text":{"body":""#)
                + [UInt8](repeating: UInt8(ascii: "A"), count: hugeBytes) + bytes(#""}}]}"#)
        },
        HostileBody(name: "huge-string-emoji.json", outcome: .decoded(1)) {
            bytes(#"{"messages":[{"from":"15550100777","id":"ABEGFVVQAQd3AgoHUGE000000002","timestamp":"1718400001","type":"text","text":{"body":""#)
                + bytes(String(repeating: "😀", count: hugeBytes / 4)) + bytes(#""}}]}"#)
        },
        HostileBody(name: "huge-string-escapes.json", outcome: .decoded(1)) {
            bytes(#"{"messages":[{"from":"15550100777","id":"ABEGFVVQAQd3AgoHUGE000000003","timestamp":"1718400002","type":"text","text":{"body":""#)
                + bytes(String(repeating: #"\u00e9"#, count: hugeBytes / 6)) + bytes(#""}}]}"#)
        },
        HostileBody(name: "huge-key-name.json", outcome: .refused("not a WhatsApp webhook: no messages")) {
            bytes(#"{""# + String(repeating: "k", count: 1024 * 1024) + #"": 1, "messages": []}"#)
        },
        HostileBody(name: "deep-array-10000.json", outcome: .refused("invalid JSON: nested deeper than 64 levels")) {
            [UInt8](repeating: UInt8(ascii: "["), count: depth) + [UInt8](repeating: UInt8(ascii: "]"), count: depth)
        },
        HostileBody(name: "deep-object-10000.json", outcome: .refused("invalid JSON: nested deeper than 64 levels")) {
            bytes(String(repeating: #"{"a":"#, count: depth) + "1" + String(repeating: "}", count: depth))
        },
        HostileBody(name: "deep-in-context-10000.json", outcome: .refused("invalid JSON: nested deeper than 64 levels")) {
            bytes(#"{"contacts":[\#(baseContact)],"messages":[{"from":"15550100777","id":"ABEGFVVQAQd3AgoDEEP00000001","timestamp":"1718400010","type":"text","text":{"body":"hi"},"context":"#
                + String(repeating: #"{"x":"#, count: depth) + "null" + String(repeating: "}", count: depth) + "}]}")
        },
        HostileBody(name: "deep-unclosed-10000.json", outcome: .refused("invalid JSON: nested deeper than 64 levels")) {
            bytes(#"{"messages":"#) + [UInt8](repeating: UInt8(ascii: "["), count: depth)
        },
        HostileBody(name: "many-messages-100000.json", outcome: .decoded(many)) {
            var body = bytes(#"{"contacts":[\#(baseContact)],"messages":["#)
            for index in 0..<many {
                if index > 0 { body.append(UInt8(ascii: ",")) }
                let id = "ABEGFVVQAQd3AgoGEN" + String(repeating: "0", count: 13 - String(index).count) + String(index)
                body += bytes(#"{"from":"15550100777","id":"\#(id)","timestamp":"\#(1_718_400_000 + index)","type":"text","text":{"body":"m\#(index)"}}"#)
            }
            return body + bytes("]}")
        },
        HostileBody(name: "over-limit-by-one.json", outcome: .decoded(1)) {
            let head = bytes(#"{"messages":[{"from":"15550100777","id":"ABEGFVVQAQd3AgoLIMIT0000001","timestamp":"1718400020","type":"text","text":{"body":""#)
            let tail = bytes(#""}}]}"#)
            return head + [UInt8](repeating: UInt8(ascii: "B"), count: limitBytes + 1 - head.count - tail.count) + tail
        },
        // Valid JSON in a good body, so the item that cannot be decoded is a malformed event (SPEC §6).
        HostileBody(name: "huge-number-literal.json", outcome: .decoded(1)) {
            bytes(#"{"messages":[{"from":"15550100777","id":"ABEGFVVQAQd3AgoNUM00000001","timestamp":"#)
                + [UInt8](repeating: UInt8(ascii: "9"), count: 100_000)
                + bytes(#","type":"location","location":{"latitude":1e400,"longitude":-1e-400}}]}"#)
        },
        HostileBody(name: "utf8-bom.json", outcome: .decoded(1)) {
            [0xEF, 0xBB, 0xBF] + bytes(good)
        },
        HostileBody(name: "utf16le.json", outcome: .refused("invalid JSON:")) {
            Array(good.utf16).flatMap { [UInt8($0 & 0xFF), UInt8($0 >> 8)] }
        },
        HostileBody(name: "invalid-utf8.json", outcome: .refused("invalid JSON: invalid UTF-8 in a string")) {
            replacingCafe(with: bytes("caf") + [0xFF, 0xFE, 0xC3, UInt8(ascii: "(")])
        },
        HostileBody(name: "lone-surrogate-escape.json", outcome: .refused("invalid JSON: unpaired surrogate escape")) {
            replacingCafe(with: bytes(#"caf\ud83d end"#))
        },
        HostileBody(name: "raw-nul-in-string.json", outcome: .refused("invalid JSON: control character 0x00 in a string")) {
            replacingCafe(with: bytes("caf") + [0x00, UInt8(ascii: "e")])
        },
        HostileBody(name: "escaped-nul-in-string.json", outcome: .decoded(1)) {
            replacingCafe(with: bytes(#"caf\u0000e"#))
        },
        HostileBody(name: "whitespace-flood.json", outcome: .decoded(1)) {
            let blank = bytes(" \n\t\r")
            return (0..<hugeBytes).map { blank[$0 % 4] } + bytes(good)
        },
        // The body as sent with `Content-Encoding: gzip`; the decoder never inflates anything.
        HostileBody(name: "gzip-body.json.gz", outcome: .refused("invalid JSON: unexpected byte 0x1F at byte 0")) {
            [0x1F, 0x8B, 0x08, 0x00, 0x00, 0x00, 0x00, 0x00, 0x02, 0xFF, 0xAB, 0x56, 0x4A, 0xCE, 0xCF, 0x2B, 0x49]
        },
    ]
}

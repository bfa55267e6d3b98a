@testable import CoregateWhatsApp
import Testing

@Suite("JSON parser")
struct JSONParserTests {
    private func parse(_ text: String) throws(JSONSyntaxError) -> JSONValue {
        try JSONParser.parse(Array(text.utf8))
    }

    private func reason(_ text: String) -> String? {
        do {
            _ = try parse(text)
            return nil
        } catch {
            return error.reason
        }
    }

    @Test("every kind of value, with member order and number text kept as sent")
    func values() throws {
        let value = try parse(#" {"z": [true, false, null], "a": -12.50e+3, "m": "x", "o": {}, "e": []} "#)
        #expect(value == .object([
            .init("z", .array([.bool(true), .bool(false), .null])), .init("a", .number("-12.50e+3")),
            .init("m", .string("x")), .init("o", .object([])), .init("e", .array([])),
        ]))
    }

    @Test("escapes, including a surrogate pair, become the characters they stand for")
    func escapes() throws {
        let value = try parse(#"["\"\\\/\b\f\n\r\t", "caf\u00e9", "\ud83d\ude00", "\u0000", "é😀 plain"]"#)
        #expect(value == .array([.string("\"\\/\u{8}\u{c}\n\r\t"), .string("café"), .string("😀"), .string("\u{0}"), .string("é😀 plain")]))
    }

    @Test("numbers are held to the JSON grammar", arguments: [
        ("0", true), ("-0", true), ("12", true), ("1.5", true), ("1e5", true), ("1E-5", true), ("-0.0e+0", true),
        ("01", false), ("1.", false), (".5", false), ("-", false), ("+1", false), ("1e", false), ("1e+", false),
        ("0x10", false), ("NaN", false), ("Infinity", false), ("-Infinity", false),
    ])
    func numbers(_ text: String, _ valid: Bool) {
        #expect((reason("[\(text)]") == nil) == valid, "\(text)")
    }

    @Test("text that is not JSON is refused with its reason", arguments: [
        ("", "the body is empty"),
        ("   ", "the body is empty"),
        ("[1,]", "unexpected byte 0x5D"),
        (#"{"a":1,}"#, "expected a key in quotes"),
        ("{a:1}", "expected a key in quotes"),
        (#"{"a" 1}"#, "expected ':' after a key"),
        (#"{"a":1 "b":2}"#, "expected ',' or '}' in an object"),
        ("[1 2]", "expected ',' or ']' in an array"),
        (#"{"a":"#, "the body ends in the middle of a value"),
        (#"["abc"#, "unterminated string"),
        (#"["a\"#, "unterminated string"),
        (#"["\x"]"#, #"invalid escape \x"#),
        ("[\"\\\u{0}\"]", #"invalid escape: \ followed by 0x00"#),
        ("[\"\\é\"]", #"invalid escape: \ followed by 0xC3"#),
        (#"["\u12G4"]"#, "invalid hex digit in a \\u escape"),
        (#"["\u12"]"#, "invalid hex digit in a \\u escape"),
        (#"["\udc00"]"#, "unpaired surrogate escape"),
        (#"["\ud83d\u0041"]"#, "unpaired surrogate escape"),
        (#"["\ud83d"]"#, "unpaired surrogate escape"),
        ("[\"a\tb\"]", "control character 0x09 in a string"),
        ("[tru]", "unexpected byte 0x74"),
        ("[nul", "unexpected byte 0x6E"),
        ("// comment\n{}", "unexpected byte 0x2F"),
        ("{} {}", "more data after the JSON value"),
        ("\u{FEFF}\u{FEFF}{}", "unexpected byte 0xEF"),
    ])
    func refused(_ text: String, _ expected: String) {
        #expect(reason(text) == expected, "\(text)")
    }

    @Test("one byte-order mark is skipped")
    func byteOrderMark() throws {
        #expect(try JSONParser.parse([0xEF, 0xBB, 0xBF] + Array("{}".utf8)) == .object([]))
    }

    @Test("a duplicate key is refused in a small object and in a large one")
    func duplicateKeys() {
        let distinct = (0..<40).map { #""k\#($0)":\#($0)"# }
        #expect(reason("{" + distinct.joined(separator: ",") + "}") == nil)
        #expect(reason(#"{"a":1,"b":2,"a":3}"#) == #"duplicate key "a""#)
        #expect(reason("{" + distinct.joined(separator: ",") + #","k3":0}"#) == #"duplicate key "k3""#)
        #expect(reason(#"{"é":1,"e\u0301":2}"#) == #"duplicate key "e?""#, "canonically equal keys count as one")
    }

    @Test("invalid UTF-8 is refused in values and in keys")
    func invalidUTF8() {
        for body: [UInt8] in [[0x5B, 0x22, 0xC3, 0x28, 0x22, 0x5D], [0x7B, 0x22, 0xFF, 0x22, 0x3A, 0x31, 0x7D], [0x5B, 0x22, 0xED, 0xA0, 0x80, 0x22, 0x5D]] {
            #expect(throws: JSONSyntaxError.self) { try JSONParser.parse(body) }
        }
    }
}

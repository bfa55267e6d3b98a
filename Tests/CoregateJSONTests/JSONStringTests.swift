import CoregateJSON
import Foundation
import Testing

@Suite("JSON string literals")
struct JSONStringTests {
    @Test("quotes, backslashes and control characters are escaped; nothing else is", arguments: [
        ("plain", #""plain""#),
        ("say \"hi\"", #""say \"hi\"""#),
        (#"C:\path"#, #""C:\\path""#),
        ("two\nlines\r\tend", #""two\nlines\r\tend""#),
        ("bell\u{07}", #""bell\u0007""#),
        ("a/b", #""a/b""#),
        ("olá 👋", "\"olá 👋\""),
    ])
    func escapes(text: String, literal: String) {
        #expect(JSONString.quoted(text) == literal)
    }

    @Test("every literal reads back as its text, and stays on one line")
    func roundTrip() throws {
        let texts = ["", "\u{00}\u{1F}\u{7F}", "line\u{2028}separator", String(repeating: "\"\\\n", count: 100)]
        for text in texts {
            let literal = JSONString.quoted(text)
            #expect(!literal.contains("\n"))
            let decoded = try JSONSerialization.jsonObject(with: Data(literal.utf8), options: .fragmentsAllowed) as? String
            #expect(decoded == text)
        }
    }
}

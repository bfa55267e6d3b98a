import Testing

@testable import CoregateTenants

@Suite("key locator")
struct KeyLocatorTests {
    static let document = """
        # a comment with = and [brackets]
        title = "a \\" quoted = string"   # 2
        multi = \"\"\"
        line one [not.a.table]
        key = "not a key"
        \"\"\"
        after = 'literal'                 # 7
        dotted.key.path = 1               # 8
        "quoted.key" = 2                  # 9
        list = [                          # 10
          "first",                        # 11
          # a comment inside an array
          { name = "x", inner = { deep = true } },   # 13
        ]
        when = 1979-05-27 07:32:00Z       # 15

        [verify]                          # 17
        basic = { user = "u", password = "p" }   # 18

        [[handlers]]                      # 20
        name = "first"

        [[handlers]]                      # 23
        name = "second"                   # 24
        env.TOKEN = "t"                   # 25

        [handlers.extra]                  # 27
        flag = true                       # 28

        [ "spaced table" . inner ]        # 30
        x = 1                             # 31
        """

    static let locator = KeyLocator(text: document)

    @Test("each key is found on its own line", arguments: [
        ("title", 2), ("multi", 3), ("after", 7), ("dotted", 8), ("dotted.key.path", 8), ("\"quoted.key\"", 9),
        ("list", 10), ("list[0]", 11), ("list[1]", 13), ("list[1].name", 13), ("list[1].inner.deep", 13), ("when", 15),
        ("verify", 17), ("verify.basic", 18), ("verify.basic.password", 18), ("handlers", 20), ("handlers[0]", 20),
        ("handlers[0].name", 21), ("handlers[1]", 23), ("handlers[1].name", 24), ("handlers[1].env.TOKEN", 25),
        ("handlers[1].extra", 27), ("handlers[1].extra.flag", 28), ("\"spaced table\".inner.x", 31),
    ])
    func located(_ path: String, _ line: Int) throws {
        let keyPath = try #require(Self.path(path))
        #expect(Self.locator.line(of: keyPath) == line)
    }

    @Test("a key that is not written falls back to its table's header; a top-level one has no line")
    func missing() throws {
        #expect(Self.locator.line(of: try #require(Self.path("handlers[1].command"))) == 23)
        #expect(Self.locator.line(of: try #require(Self.path("sender"))) == nil)
    }

    @Test("text inside strings is never taken for a key")
    func stringsAreOpaque() throws {
        #expect(Self.locator.line(of: try #require(Self.path("key"))) == nil)
        #expect(Self.locator.line(of: try #require(Self.path("not.a.table"))) == nil)
    }

    /// Builds a path from the notation messages use: dotted keys, quoted keys, `[index]`.
    static func path(_ text: String) -> KeyPath? {
        var path = KeyPath.root
        var rest = Substring(text)
        while !rest.isEmpty {
            if rest.first == "." { rest = rest.dropFirst() }
            if rest.first == "\"" {
                guard let end = rest.dropFirst().firstIndex(of: "\"") else { return nil }
                path = path.appending(String(rest[rest.index(after: rest.startIndex)..<end]))
                rest = rest[rest.index(after: end)...]
            } else if rest.first == "[" {
                guard let end = rest.firstIndex(of: "]"), let index = Int(rest[rest.index(after: rest.startIndex)..<end]) else { return nil }
                path = path.appending(index: index)
                rest = rest[rest.index(after: end)...]
            } else {
                let end = rest.firstIndex { $0 == "." || $0 == "[" } ?? rest.endIndex
                path = path.appending(String(rest[..<end]))
                rest = rest[end...]
            }
        }
        #expect(path.description == text, "the test's notation and KeyPath's must agree")
        return path
    }
}

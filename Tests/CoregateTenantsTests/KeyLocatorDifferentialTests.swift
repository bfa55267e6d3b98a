import Foundation
import TOMLKit
import Testing

@testable import CoregateTenants

/// KeyLocator is a second TOML lexer, there only because TOMLKit reports no positions. Where the
/// two disagree about which keys a file has, `check` would point at the wrong line (the parent's,
/// by fallback) without anyone noticing. So every key path TOMLKit finds in every TOML file the
/// repository ships or the tests use must have a line of its own in KeyLocator.
@Suite("key locator agrees with TOMLKit")
struct KeyLocatorDifferentialTests {
    static let repository = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    /// tenants/*.toml(.example), systemd/*.toml*, and any .toml under a Tests/**/Resources folder;
    /// relative to the repository, so the test names stay short.
    static let files: [String] = {
        let manager = FileManager.default
        var found: [String] = []
        for folder in ["tenants", "systemd"] {
            let names = (try? manager.contentsOfDirectory(atPath: repository.appendingPathComponent(folder).path)) ?? []
            found += names.filter { $0.hasSuffix(".toml") || $0.contains(".toml.") }.map { "\(folder)/\($0)" }
        }
        let tests = repository.appendingPathComponent("Tests")
        for case let relative as String in manager.enumerator(atPath: tests.path) ?? NSEnumerator()
        where relative.contains("Resources/") && (relative.hasSuffix(".toml") || relative.contains(".toml.")) {
            found.append("Tests/" + relative)
        }
        return found.sorted()
    }()

    @Test("the shipped examples are among the files checked")
    func examplesAreFound() {
        // Guards against a moved folder turning the parameterized test below into zero cases.
        #expect(Set(["tenants/acme.toml", "tenants/globex-cloud.toml", "systemd/coregate.toml"]).isSubset(of: Set(Self.files)))
    }

    @Test("every key TOMLKit reads from the file has its own line", arguments: files)
    func everyKeyHasALine(file: String) throws {
        let text = try String(contentsOf: Self.repository.appendingPathComponent(file), encoding: .utf8)
        try expectEveryKeyLocated(in: text)
    }

    @Test("every key of the lexer's own tricky document has its own line")
    func trickyDocument() throws {
        // Multi-line strings, quoted and dotted keys, inline tables and arrays of tables.
        try expectEveryKeyLocated(in: KeyLocatorTests.document)
    }

    private func expectEveryKeyLocated(in text: String, sourceLocation: SourceLocation = #_sourceLocation) throws {
        let table = try TOMLTable(string: text)
        defer { table.clear() }
        let lines = try recordedLines(KeyLocator(text: text))
        let textLines = text.split(separator: "\n", omittingEmptySubsequences: false)
        let paths = keyPaths(in: table, at: .root)
        #expect(!paths.isEmpty, sourceLocation: sourceLocation)
        for path in paths {
            // `line(of:)` falls back to the parent's line, which would hide a key the lexer missed.
            guard let line = lines[path] else {
                Issue.record("no line for `\(path)`", sourceLocation: sourceLocation)
                continue
            }
            switch path.components.last {
            case .key(let key):
                #expect(textLines[line - 1].contains(key), "`\(path)` put on line \(line): \(textLines[line - 1])",
                        sourceLocation: sourceLocation)
            case .index:
                // An element starts on its array's line or after it.
                #expect(line >= lines[path.parent!] ?? 0, "`\(path)` put on line \(line)", sourceLocation: sourceLocation)
            case nil:
                break
            }
        }
    }

    /// Every table key and array element below `path`, the way TableReader names them.
    private func keyPaths(in value: TOMLValueConvertible, at path: KeyPath) -> [KeyPath] {
        var paths: [KeyPath] = []
        if let table = value.table {
            for key in table.keys {
                let child = path.appending(key)
                paths.append(child)
                paths += keyPaths(in: table[key]!, at: child)
            }
        } else if let array = value.array {
            for (index, element) in array.enumerated() {
                let child = path.appending(index: index)
                paths.append(child)
                paths += keyPaths(in: element, at: child)
            }
        }
        return paths
    }

    /// The exact lines KeyLocator recorded. They are private, as the gateway only ever wants the
    /// fallback; reflection reads them without widening the type's interface for a test.
    private func recordedLines(_ locator: KeyLocator) throws -> [KeyPath: Int] {
        try #require(Mirror(reflecting: locator).children.first { $0.label == "lines" }?.value as? [KeyPath: Int])
    }
}

import Foundation
import TOMLKit

/// Reads and parses one config file, and prepares the strict reader and the problem log for it.
enum TOMLFile {
    /// `root` is nil when the file cannot be read or is not TOML; the log then says why.
    static func open(_ file: String) -> (root: TableReader?, log: ProblemLog) {
        let unlocated = ProblemLog(file: file, locator: KeyLocator(text: ""))
        guard let data = FileManager.default.contents(atPath: file) else {
            let reason = FileManager.default.fileExists(atPath: file) ? "cannot read the file" : "no such file"
            unlocated.error(reason, at: .root)
            return (nil, unlocated)
        }
        // The parser takes a C string, so it would silently stop reading at a NUL byte.
        guard let text = String(data: data, encoding: .utf8), !data.contains(0) else {
            unlocated.error("the file is not UTF-8 text", at: .root)
            return (nil, unlocated)
        }
        do {
            let table = try TOMLTable(string: text)
            let log = ProblemLog(file: file, locator: KeyLocator(text: text))
            return (TableReader(table: table, path: .root, log: log), log)
        } catch let error as TOMLParseError {
            let position = error.source.begin
            return (nil, syntaxError(file: file, line: position.line, message: "\(error.description) (column \(position.column))"))
        } catch {
            return (nil, syntaxError(file: file, line: nil, message: "\(error)"))
        }
    }

    private static func syntaxError(file: String, line: Int?, message: String) -> ProblemLog {
        let log = ProblemLog(file: file, locator: KeyLocator(text: ""))
        log.record(ConfigProblem(file: file, line: line, keyPath: "", message: "TOML syntax error: \(message)"))
        return log
    }
}

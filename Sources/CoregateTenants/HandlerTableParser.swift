import Foundation

/// Reads one `[[handlers]]` entry (SPEC §7): which events a program takes and how it is run.
struct HandlerTableParser {
    var secrets: SecretResolver
    /// The folder that holds `tenants/`; a relative command such as `handlers/bot.py` lives beside it.
    var configRoot: String
    /// `handler_uids` is set: the program runs as its tenant's uid, not as whoever runs `check`.
    var handlersRunAsTenants: Bool

    /// Variables coregate itself sets for every run; a handler's `env` may not replace them, or a
    /// handler could be told it is another tenant or handler.
    static func isReservedVariable(_ name: String) -> Bool {
        name.hasPrefix("COREGATE_") || name == "CONTENT_TYPE" || name == "CONTENT_LENGTH"
    }

    func parse(_ table: TableReader) -> HandlerConfig? {
        let name = table.string("name", required: true)
        if let name, !Identifier.isValid(name) {
            table.log.error("`\(table.keyPath("name"))`: \"\(name)\" is not a valid handler name: use \(Identifier.rule)", at: table.keyPath("name"))
        }
        let events = parseEvents(table)
        let command = parseCommand(table)
        let timeout = table.duration("timeout")
        let env = parseEnvironment(table)
        let mode: HandlerMode? = table.value("mode") == nil ? .exec : table.choice("mode")
        let workers = table.int("workers", in: 1...64)
        let maxInflight = table.int("max_inflight", in: 1...10_000)
        if mode == .exec {
            for key in ["workers", "max_inflight"] where table.value(key) != nil {
                table.log.warning(
                    "`\(table.keyPath(key))` applies only to mode = \"stream\"; this handler runs a process per event",
                    at: table.keyPath(key))
            }
        }
        table.reportUnknownKeys()

        guard let name, Identifier.isValid(name), let events, let command, let env, let mode else { return nil }
        var handler = HandlerConfig(name: name, events: events, command: command, env: env, mode: mode)
        if let timeout { handler.timeout = timeout }
        if let workers { handler.workers = workers }
        if let maxInflight { handler.maxInflight = maxInflight }
        return handler
    }

    /// Globs over event types; a handler without `events` takes every event.
    private func parseEvents(_ table: TableReader) -> [String]? {
        guard let globs = table.strings("events") else {
            return table.value("events") == nil ? ["*"] : nil
        }
        var valid = true
        for (glob, path) in globs where EventTypePattern(validating: glob) == nil {
            table.log.error("`\(path)`: \"\(glob)\" is not an event type glob such as \"message.*\" or \"status.read\"", at: path)
            valid = false
        }
        return valid ? globs.map(\.value) : nil
    }

    /// Event types are lowercase words joined by dots; `*` is the only wildcard.
    private func parseCommand(_ table: TableReader) -> [String]? {
        let path = table.keyPath("command")
        guard let arguments = table.strings("command", required: true) else { return nil }
        guard var command = arguments.first?.value, !command.isEmpty else {
            table.log.error("`\(path)` must start with the program to run", at: path)
            return nil
        }
        // A bare name is looked up in PATH when the handler runs; a path with a slash is a file here.
        if command.contains("/") {
            command = FilePaths.absolute(command, against: configRoot)
            var status = stat()
            if !FileManager.default.isExecutableFile(atPath: command) {
                let reason = FileManager.default.fileExists(atPath: command) ? "is not executable" : "does not exist"
                table.log.warning("`\(path.appending(index: 0))`: the program \(command) \(reason)", at: path.appending(index: 0))
            } else if handlersRunAsTenants, stat(command, &status) == 0, status.st_mode & 0o005 != 0o005 {
                table.log.warning(
                    "`\(path.appending(index: 0))`: the program \(command) (mode \(String(status.st_mode & 0o777, radix: 8))) "
                        + "cannot be read and run by other users, but handler_uids runs handlers as their tenant's uid",
                    at: path.appending(index: 0))
            }
        }
        return [command] + arguments.dropFirst().map(\.value)
    }

    /// Extra environment: a value written as a secret reference is resolved; anything else is plain
    /// text, since most handler settings (a URL, a flag) are not secrets.
    private func parseEnvironment(_ table: TableReader) -> [String: String]? {
        guard table.value("env") != nil else { return [:] }
        guard let envTable = table.table("env") else { return nil }
        var env: [String: String] = [:]
        var valid = true
        for (name, value) in envTable.entries() {
            let path = envTable.keyPath(name)
            guard let text = value.string else {
                table.log.error("`\(path)` must be a string", at: path)
                valid = false
                continue
            }
            if !Self.isVariableName(name) || Self.isReservedVariable(name) {
                let reason = Self.isVariableName(name) ? "is set by coregate itself" : "is not an environment variable name"
                table.log.error("`\(path)`: \(name) \(reason)", at: path)
                valid = false
            }
            if SecretResolver.isReference(text) {
                guard let secret = envTable.resolve(text, at: path, using: secrets) else {
                    valid = false
                    continue
                }
                guard let decoded = String(validating: secret.value, as: UTF8.self), !decoded.contains("\0") else {
                    table.log.error("`\(path)`: the value of \(secret.reference) is not text", at: path)
                    valid = false
                    continue
                }
                env[name] = decoded
            } else {
                env[name] = text
            }
        }
        return valid ? env : nil
    }

    private static func isVariableName(_ name: String) -> Bool {
        guard let first = name.utf8.first, !ASCII.isDigit(first) else { return false }
        return name.utf8.allSatisfy { ASCII.isLetterOrDigit($0, or: "_") }
    }
}

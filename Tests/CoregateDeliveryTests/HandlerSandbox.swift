import CoregateDelivery
import CoregateTenants
import Foundation
import Logging

/// A temporary folder for one test's handler scripts and state, removed when the test ends.
final class HandlerSandbox: Sendable {
    let folder: String
    let log = RecordingLogHandler.Records()

    init() throws {
        folder = FileManager.default.temporaryDirectory.path + "/coregate-delivery-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
    }

    deinit {
        try? FileManager.default.removeItem(atPath: folder)
    }

    /// Writes a script (or any file) and returns its absolute path.
    @discardableResult
    func file(_ name: String, _ text: String, mode: Int = 0o755) throws -> String {
        let path = folder + "/" + name
        try FileManager.default.createDirectory(
            atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        try Data(text.utf8).write(to: URL(fileURLWithPath: path))
        try FileManager.default.setAttributes([.posixPermissions: mode], ofItemAtPath: path)
        return path
    }

    var stateDirectory: String { stateDirectory(of: "acme") }

    func stateDirectory(of tenant: String) -> String { folder + "/state/tenants/" + tenant }

    func invocation(
        _ command: [String], timeout: Duration = .seconds(20), env: [String: String] = [:],
        eventJSON: [UInt8] = Array(#"{"version":1,"id":"evt-1","tenant":"acme","type":"message.text"}"#.utf8),
        attempt: Int = 1, tenant: String = "acme"
    ) -> HandlerInvocation {
        HandlerInvocation(
            tenant: tenant, sender: .cloud,
            handler: HandlerConfig(name: "bot", events: ["message.*"], command: command, timeout: timeout, env: env),
            eventID: "evt-1", eventType: "message.text", eventJSON: eventJSON, attempt: attempt,
            stateDirectory: stateDirectory(of: tenant))
    }

    /// A runner whose handler stderr lines land in `log`; a short grace keeps timeout tests quick.
    func runner(terminationGrace: Duration = .milliseconds(500), identities: TenantIdentities? = nil) -> HandlerRunner {
        let records = log
        let logger = Logger(label: "test") { _ in RecordingLogHandler(records: records) }
        return HandlerRunner(logger: logger, terminationGrace: terminationGrace, identities: identities)
    }
}

/// A unique word to put on a test process's command line, to find it in /proc afterwards.
func uniqueMarker() -> String {
    "coregate-test-marker-" + UUID().uuidString
}

/// Processes, other than zombies, whose command line contains `marker`, once they have had a moment
/// to die: a SIGKILL already sent still takes effect only when the process next runs, which on a
/// busy machine can be a while. A process that was never killed is still there after it.
func survivingProcesses(withArgument marker: String) async -> [String] {
    var survivors = livingProcesses(withArgument: marker)
    for _ in 0..<30 where !survivors.isEmpty {
        try? await Task.sleep(for: .milliseconds(100))
        survivors = livingProcesses(withArgument: marker)
    }
    return survivors
}

func livingProcesses(withArgument marker: String) -> [String] {
    let pids = (try? FileManager.default.contentsOfDirectory(atPath: "/proc"))?.filter { $0.allSatisfy(\.isNumber) } ?? []
    return pids.filter { pid in
        guard let commandLine = FileManager.default.contents(atPath: "/proc/\(pid)/cmdline"),
            String(decoding: commandLine, as: UTF8.self).contains(marker),
            let status = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8)
        else { return false }
        return !status.contains("State:\tZ")
    }
}

/// Returns once `path` exists: a handler creates such a file to say it got somewhere. Polls, since
/// the file is written by another process; the deadline only keeps a broken handler from hanging
/// the run, and is far beyond any machine's spawn time.
func waitForFile(_ path: String, deadline: Duration = .seconds(60)) async throws {
    let clock = ContinuousClock()
    let giveUp = clock.now + deadline
    while !FileManager.default.fileExists(atPath: path) {
        guard clock.now < giveUp else { throw FileNeverAppeared(path: path) }
        try await Task.sleep(for: .milliseconds(10))
    }
}

struct FileNeverAppeared: Error {
    let path: String
}

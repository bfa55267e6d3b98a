import CoregateStore
import Foundation
import Logging
import Testing

@testable import CoregateDelivery

/// Direct mode's memory of successes, batched: a retry finds a success before its batch commits,
/// and every batch reaches the store (a real SQLite file).
@Suite("direct-mode successes recorded in batches")
struct DirectSuccessRecorderTests {
    private static func success(_ id: String, handler: String = "bot") -> DirectSuccess {
        DirectSuccess(
            event: NewEvent(id: id, tenant: "acme", type: "message.text", contactKey: "15550001111", json: Array(#"{"id":"\#(id)"}"#.utf8), handlers: []),
            handler: handler,
            report: HandlerResult(outcome: .succeeded, startedAt: Date(), duration: .milliseconds(3)))
    }

    /// A fresh state directory of its own.
    private let directory = FileManager.default.temporaryDirectory.appendingPathComponent("coregate-direct-\(UUID().uuidString)").path

    private func makeStore() throws -> SQLiteStore {
        try SQLiteStore(directory: directory)
    }

    /// What the store holds for `ids`, once it holds something for each (or after ten seconds).
    private static func stored(_ store: SQLiteStore, _ ids: [String]) async throws -> [String: Set<String>] {
        for _ in 0..<500 {
            let found = try await store.directSucceeded(tenant: "acme", eventIDs: ids)
            if found.count == ids.count { return found }
            try await Task.sleep(for: .milliseconds(20))
        }
        return try await store.directSucceeded(tenant: "acme", eventIDs: ids)
    }

    @Test("a success waiting for its batch is answered from memory, and only for its tenant and event")
    func waitingIsRemembered() async throws {
        let store = try makeStore()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let recorder = DirectSuccessRecorder(store: store, logger: Logger(label: "test"), window: .seconds(3600), repliesStored: {})
        recorder.record([Self.success("wamid.1"), Self.success("wamid.1", handler: "crm"), Self.success("wamid.2")])
        #expect(recorder.uncommitted(tenant: "acme", eventIDs: ["wamid.1", "wamid.3"]) == ["wamid.1": ["bot", "crm"]])
        #expect(recorder.uncommitted(tenant: "globex", eventIDs: ["wamid.1"]).isEmpty)
        #expect(try await store.directSucceeded(tenant: "acme", eventIDs: ["wamid.1"]).isEmpty, "the window has not passed")
    }

    @Test("after the window the successes are in the store and no longer held in memory")
    func windowWrites() async throws {
        let store = try makeStore()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let recorder = DirectSuccessRecorder(store: store, logger: Logger(label: "test"), window: .milliseconds(5), repliesStored: {})
        recorder.record([Self.success("wamid.1")])
        recorder.record([Self.success("wamid.2", handler: "crm")])
        #expect(try await Self.stored(store, ["wamid.1", "wamid.2"]) == ["wamid.1": ["bot"], "wamid.2": ["crm"]])
        for _ in 0..<500 where !recorder.uncommitted(tenant: "acme", eventIDs: ["wamid.1", "wamid.2"]).isEmpty {
            try await Task.sleep(for: .milliseconds(20))
        }
        #expect(recorder.uncommitted(tenant: "acme", eventIDs: ["wamid.1", "wamid.2"]).isEmpty)
    }

    @Test("a full batch is written without waiting for the window")
    func fullBatchWritesAtOnce() async throws {
        let store = try makeStore()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let recorder = DirectSuccessRecorder(
            store: store, logger: Logger(label: "test"), window: .seconds(3600), batchLimit: 2, repliesStored: {})
        recorder.record([Self.success("wamid.1"), Self.success("wamid.2")])
        #expect(try await Self.stored(store, ["wamid.1", "wamid.2"]).count == 2)
    }
}

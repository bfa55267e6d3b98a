import CoregateDelivery
import CoregateStore
import CoregateTenants
import Foundation
import Logging
import Synchronization
import Testing

/// Stream handlers (SPEC §7b) through the dispatcher, with a real store and real worker processes:
/// every way a worker can misbehave stops and restarts it, says why, and loses no event.
@Suite("Stream handlers")
struct StreamHandlerTests {
    /// A worker in Python that answers every event `done`, except that in its first life it
    /// misbehaves as `MISBEHAVE` says on its third event.
    static let worker = #"""
        #!/usr/bin/env python3
        import json, os, signal, sys, time
        mode = os.environ.get("MISBEHAVE", "none")
        first = not os.path.exists("misbehaved")
        if first:
            open("misbehaved", "w").close()
        seen = open("seen.txt", "a")
        for n, line in enumerate(sys.stdin):
            event = json.loads(line)
            seen.write(event["id"] + "\n")
            seen.flush()
            answer = json.dumps({"id": event["id"], "status": "done", "detail": "ok " + event["id"]})
            if first and n == 2 and mode != "none":
                if mode == "garbage":
                    print("this is not an answer", flush=True)
                elif mode == "unknown":
                    print(json.dumps({"id": "msg:nobody", "status": "done"}), flush=True)
                elif mode == "duplicate":
                    print(answer + "\n" + answer, flush=True)
                elif mode == "flood":
                    sys.stdout.write("x" * (3 << 20))
                    sys.stdout.flush()
                elif mode == "exit":
                    sys.exit(3)
                elif mode == "sigkill":
                    os.kill(os.getpid(), signal.SIGKILL)
                elif mode == "closed":
                    os.close(1)
                    time.sleep(60)
                # "silent": never answers this one, and goes on with the others
                continue
            print(answer, flush=True)
        """#

    @Test("a worker answers every event, in batches, with per-contact order and the detail kept")
    func answersEverything() async throws {
        let fixture = try StreamFixture(misbehave: "none")
        try await fixture.deliver(count: 200, contacts: 7)
        #expect(fixture.stops.isEmpty, "a worker that behaves is never restarted")
        let attempts = try await fixture.attempts(eventID: "e5")
        #expect(attempts.map(\.outcome) == ["succeeded"])
        #expect(attempts.first.map { String(decoding: $0.stdout, as: UTF8.self) } == "ok e5")
        let seen = try String(contentsOfFile: fixture.sandbox.folder + "/state/tenants/acme/seen.txt", encoding: .utf8)
            .split(separator: "\n").map { Int($0.dropFirst())! }
        #expect(seen.count == 200, "each event sent once")
        for contact in 0..<7 {
            let theirs = seen.filter { $0 % 7 == contact }
            #expect(theirs == theirs.sorted(), "contact \(contact)'s events came in the order they arrived")
        }
    }

    @Test(
        "a worker that misbehaves is stopped, restarted and says why; every event ends done",
        arguments: [
            ("garbage", StreamWorkerStop.Reason.garbage, "not an answer"),
            ("unknown", .unknownID, "which it was not sent"),
            ("duplicate", .duplicateAnswer, "twice"),
            ("flood", .lineTooLong, "longer than"),
            ("exit", .exited, "exited with status 3"),
            ("sigkill", .exited, "killed by signal 9"),
            ("closed", .closedOutput, "closed its stdout"),
            ("silent", .timeout, "not answered within"),
        ])
    func misbehaviourRestarts(mode: String, reason: StreamWorkerStop.Reason, logged: String) async throws {
        let fixture = try StreamFixture(misbehave: mode, timeout: mode == "silent" ? .seconds(1) : .seconds(30))
        try await fixture.deliver(count: 12, contacts: 12)
        #expect(fixture.stops == [reason])
        let warnings = fixture.sandbox.log.entries.filter { $0.level == .warning && $0.metadata["reason"] == "\(reason.rawValue)" }
        #expect(warnings.contains { "\($0.metadata["detail"] ?? "")".contains(logged) }, "the log says why")
        // The events the worker held when it was stopped were failed attempts, then done.
        let outcomes = try await (0..<12).asyncFlatMap { try await fixture.attempts(eventID: "e\($0)").map(\.outcome) }
        #expect(outcomes.contains { $0 != "succeeded" })
    }

    /// The dispatcher claims in rounds and sends each round's claims in one `start`; answers read
    /// together must still come back in one call, or each round's share would cost a store
    /// transaction of its own, and the shares never merge again.
    @Test("answers read together come back in one call to their sink, whichever start sent them")
    func answersReadTogetherShareOneCall() async throws {
        let sandbox = try HandlerSandbox()
        // Reads four events, then answers all four in one write.
        let script = try sandbox.file("worker.py", #"""
            #!/usr/bin/env python3
            import json, sys
            held = []
            for line in sys.stdin:
                held.append(json.loads(line)["id"])
                if len(held) == 4:
                    sys.stdout.write("".join(json.dumps({"id": i, "status": "done"}) + "\n" for i in held))
                    sys.stdout.flush()
                    held = []
            """#)
        let handler = HandlerConfig(name: "stream", events: ["*"], command: [script], mode: .stream, workers: 1, maxInflight: 8)
        let tenant = Tenant(
            id: "acme", file: "acme.toml", sender: .onPremises, path: "/webhooks/acme",
            delivery: DeliveryConfig(mode: .queue, concurrency: 1), handlers: [handler])
        var global = GlobalConfig()
        global.stateDir = sandbox.folder + "/state"
        let streams = StreamHandlers(logger: Logger(label: "test"))
        streams.configure(Configuration(global: global, tenants: [tenant]))
        defer { streams.cancel() }

        func run(_ id: String, tag: Int64) -> HandlerRun {
            HandlerRun(HandlerInvocation(
                tenant: "acme", sender: .onPremises, handler: handler, eventID: id, eventType: "message.text",
                eventJSON: Array(#"{"version":1,"id":"\#(id)","type":"message.text"}"#.utf8), attempt: 1,
                stateDirectory: sandbox.stateDirectory), tag: tag)
        }
        let calls = Mutex<[[Int64]]>([])
        let sink = HandlerRunSink { ended in calls.withLock { $0.append(ended.map(\.tag).sorted()) } }
        streams.start([run("e1", tag: 1), run("e2", tag: 2)], sink: sink)
        streams.start([run("e3", tag: 3)], sink: sink)
        streams.start([run("e4", tag: 4)], sink: sink)
        for _ in 0..<400 where calls.withLock({ $0.flatMap { $0 }.count }) < 4 {
            try await Task.sleep(for: .milliseconds(25))
        }
        #expect(calls.withLock { $0 } == [[1, 2, 3, 4]])
    }

    @Test("stop waits for the outstanding answers, then the worker exits on end of input")
    func stopDrains() async throws {
        let fixture = try StreamFixture(misbehave: "none")
        try await fixture.deliver(count: 5, contacts: 5)
        let pids = try await fixture.workerPids()
        fixture.dispatcher.stop()
        await fixture.running.value
        #expect(pids.allSatisfy { kill($0, 0) != 0 }, "no worker is left running")
        #expect(fixture.sandbox.log.entries.contains { $0.message == "stream worker stopped" })
    }
}

/// A queue tenant with one stream handler (2 workers) running ``StreamHandlerTests/worker``.
final class StreamFixture: Sendable {
    let sandbox: HandlerSandbox
    let store: any Store
    let dispatcher: Dispatcher
    let running: Task<Void, Never>
    private let stopLog = StopLog()
    /// Why workers were stopped, in order, as the metric would count them.
    var stops: [StreamWorkerStop.Reason] { stopLog.reasons.withLock { $0 } }

    init(misbehave: String, timeout: Duration = .seconds(30), workers: Int = 1) throws {
        sandbox = try HandlerSandbox()
        let script = try sandbox.file("worker.py", StreamHandlerTests.worker)
        store = try SQLiteStore(directory: sandbox.folder)
        var delivery = DeliveryConfig(mode: .queue, concurrency: 2)
        delivery.backoffInitial = .zero
        delivery.backoffMax = .zero
        let handler = HandlerConfig(
            name: "stream", events: ["*"], command: [script], timeout: timeout, env: ["MISBEHAVE": misbehave],
            mode: .stream, workers: workers, maxInflight: 8)
        let tenant = Tenant(
            id: "acme", file: "acme.toml", sender: .onPremises, path: "/webhooks/acme", delivery: delivery, handlers: [handler])
        var global = GlobalConfig()
        global.stateDir = sandbox.folder + "/state"
        let records = sandbox.log
        let logger = Logger(label: "test") { _ in RecordingLogHandler(records: records) }
        var settings = StreamSettings()
        settings.terminationGrace = .milliseconds(500)
        settings.restartBackoffInitial = .milliseconds(10)
        let stopLog = self.stopLog
        let streams = StreamHandlers(logger: logger, settings: settings) { stop in stopLog.reasons.withLock { $0.append(stop.reason) } }
        let dispatcher = Dispatcher(
            store: store, runner: HandlerRunner(logger: logger), streams: streams,
            configuration: Configuration(global: global, tenants: [tenant]), logger: logger)
        self.dispatcher = dispatcher
        running = Task { await dispatcher.run() }
    }

    deinit {
        dispatcher.stop()
    }

    /// Queues `count` events over `contacts` contacts and waits until every one is done.
    func deliver(count: Int, contacts: Int) async throws {
        let events = (0..<count).map {
            NewEvent(
                id: "e\($0)", tenant: "acme", type: "message.text", contactKey: "c\($0 % contacts)",
                json: Array(#"{"version":1,"id":"e\#($0)","type":"message.text"}"#.utf8), handlers: ["stream"])
        }
        _ = try await store.enqueue(events)
        dispatcher.wake(tenants: ["acme"])
        for _ in 0..<1200 {
            if try await store.stats().first?.deliveries[.done] == count { return }
            try await Task.sleep(for: .milliseconds(50))
        }
        Issue.record("not every event was done: \(try await store.stats().first?.deliveries ?? [:])")
    }

    func attempts(eventID: String) async throws -> [AttemptRecord] {
        try await store.event(id: eventID).flatMap(\.deliveries).flatMap(\.history)
    }

    /// The pids of the running workers, from the process table: children of this process whose
    /// command line names the worker script.
    func workerPids() async throws -> [pid_t] {
        livingProcesses(withArgument: sandbox.folder + "/worker.py").compactMap { pid_t($0) }
    }
}

private final class StopLog: Sendable {
    let reasons = Mutex<[StreamWorkerStop.Reason]>([])
}

extension Sequence {
    func asyncFlatMap<T>(_ transform: (Element) async throws -> [T]) async rethrows -> [T] {
        var result: [T] = []
        for element in self { result += try await transform(element) }
        return result
    }
}

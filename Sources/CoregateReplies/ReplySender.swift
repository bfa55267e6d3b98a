import AsyncHTTPClient
import CoregateStore
import CoregateTenants
import Foundation
import Logging
import NIOCore
import NIOHTTP1
import Synchronization

/// The stage after delivery: posts the reply actions that successful attempts stored (SPEC §10)
/// to the tenant's API, and records how each ended.
///
/// Input: the store's due actions, the first unsent one of each customer, so a customer's replies
/// arrive in the order the handler asked for them. Output: a `sent` record with the message id
/// the API gave, a retry at a backoff (429, 5xx, timeouts, Meta's rate-limit codes), or a dead
/// letter that keeps the API's answer.
///
/// Memory is bounded by `batchSize`: at most that many actions are read and in flight at once,
/// whatever the backlog. A batch ends when its slowest try does (at most the tenant's `timeout`),
/// which keeps the loop simple: no action can be picked up twice while a try of it runs. The loop sleeps until an action is stored (``wake()``), a retry falls
/// due, or it is time to look for what another process (`coregate replay --action`) changed.
///
/// Each action is posted once per try. The one case that sends twice: the API took an action,
/// but the service died before the record of it committed; the action is still unsent in the
/// store and goes out again after the restart. No API call coregate makes has an idempotency key
/// to close that gap.
public final class ReplySender: Sendable {
    public typealias Observer = @Sendable (_ tenant: String, _ result: String) -> Void

    private let store: any Store
    private let eventLoops: any EventLoopGroup
    private let tenants: @Sendable () -> [String: Tenant]
    private let logger: Logger
    private let observer: Observer
    private let signal = WakeSignal()
    private let stopping = Atomic<Bool>(false)
    private let batchSize: Int
    static let resynchronizeEvery = Duration.seconds(5)
    /// Enough of an answer for the message id or the error; a longer one is cut and refused.
    static let maxAnswer = 64 << 10

    public init(
        store: any Store, eventLoops: any EventLoopGroup, tenants: @escaping @Sendable () -> [String: Tenant], logger: Logger,
        batchSize: Int = 16, observer: @escaping Observer = { _, _ in }
    ) {
        self.store = store
        self.eventLoops = eventLoops
        self.tenants = tenants
        self.logger = logger
        self.batchSize = batchSize
        self.observer = observer
    }

    /// Actions were stored: look now.
    public func wake() { signal.ring() }

    /// Sends nothing new after the tries in flight end (each bounded by its timeout); `run()` returns then.
    public func stop() {
        stopping.store(true, ordering: .relaxed)
        signal.ring()
    }

    /// Sends until ``stop()`` or cancellation. A cancelled try is not recorded: its action is
    /// still unsent and goes out after the next start.
    public func run() async {
        // The client lives exactly as long as the loop, so every path shuts it down.
        let client = HTTPClient(eventLoopGroup: eventLoops)
        var pacer = NumberPacer()
        while !stopping.load(ordering: .relaxed) && !Task.isCancelled {
            let pause: Duration
            do {
                pause = try await round(&pacer, client: client)
            } catch {
                logger.error("cannot read or record reply actions; trying again shortly", metadata: ["error": "\(error)"])
                pause = .seconds(1)
            }
            if pause > .zero { await signal.wait(timeout: pause) }
        }
        try? await client.shutdown()
    }

    /// One batch: sends what is due and may be sent now, and says how long to sleep after it.
    private func round(_ pacer: inout NumberPacer, client: HTTPClient) async throws -> Duration {
        let now = Date()
        let due = try await store.dueReplies(limit: batchSize, now: now)
        guard !due.isEmpty else {
            guard let next = try await store.nextReplyDue() else { return Self.resynchronizeEvery }
            return min(Self.resynchronizeEvery, .milliseconds(max(1, Int64(next.timeIntervalSince(now) * 1000) + 1)))
        }
        let configuration = tenants()
        var ready: [(DueReply, Tenant?)] = []
        var paced: TimeInterval?
        for reply in due {
            let tenant = configuration[reply.tenant]
            if let rate = tenant?.reply?.messagesPerSecond {
                let number = reply.tenant + "/" + (reply.request.phoneNumberID ?? "")
                if let wait = pacer.take(number, rate: rate, now: now) {
                    paced = min(paced ?? wait, wait)
                    continue
                }
            }
            ready.append((reply, tenant))
        }
        let unrecorded = await withTaskGroup(of: (String, ReplyOutcome).self) { group in
            for (reply, tenant) in ready {
                group.addTask { (reply.tenant, await self.send(reply, tenant: tenant, client: client)) }
            }
            // Each as soon as it ends: the shorter the time between the answer and its record,
            // the smaller the window in which a crash sends the action again.
            var unrecorded = false
            for await (tenant, outcome) in group {
                if !(await record(outcome, tenant: tenant)) { unrecorded = true }
            }
            return unrecorded
        }
        // An outcome the store would not take leaves its action due: pause rather than resend at once.
        if unrecorded { return .seconds(1) }
        // A batch that was all paced waits for the first number to come free; otherwise look again at once.
        return ready.isEmpty ? .milliseconds(Int64((paced ?? 0.01) * 1000) + 1) : .zero
    }

    private func record(_ outcome: ReplyOutcome, tenant: String) async -> Bool {
        do {
            try await store.recordReplyOutcomes([outcome])
        } catch {
            logger.error(
                "cannot record how a reply action ended; it stays unsent and may go out again",
                metadata: ["tenant": "\(tenant)", "error": "\(error)"])
            return false
        }
        observer(tenant, outcome.result)
        return true
    }

    /// One try of one action; never throws: every way it can end is an outcome to record.
    private func send(_ reply: DueReply, tenant: Tenant?, client: HTTPClient) async -> ReplyOutcome {
        var logger = logger
        logger[metadataKey: "tenant"] = "\(reply.tenant)"
        logger[metadataKey: "reply_action"] = "\(reply.id)"
        guard let tenant else { return .dead(id: reply.id, answer: "the tenant is no longer configured") }
        guard let config = tenant.reply else {
            return .dead(id: reply.id, answer: "the tenant has no [reply] table, so there is no API to send to")
        }
        let endpoint: ReplyEndpoint
        do {
            endpoint = try ReplyEndpoint(reply.request, sender: tenant.sender, config: config)
        } catch {
            return .dead(id: reply.id, answer: error.description)
        }
        var request = HTTPClientRequest(url: endpoint.url)
        request.method = HTTPMethod(rawValue: endpoint.method.rawValue)
        request.headers.add(name: "Authorization", value: "Bearer " + String(decoding: config.token.value, as: UTF8.self))
        request.headers.add(name: "Content-Type", value: "application/json")
        request.body = .bytes(ByteBuffer(bytes: reply.request.body))

        let verdict: ReplyVerdict
        let answer: String
        do {
            let response = try await client.execute(request, timeout: .nanoseconds(Int64(config.timeout.timeInterval * 1e9)), logger: nil)
            let body = try await response.body.collect(upTo: Self.maxAnswer)
            let bytes = Array(body.readableBytesView)
            verdict = ReplyVerdict(status: Int(response.status.code), body: bytes, retryAfter: response.headers.first(name: "Retry-After"))
            answer = ReplyVerdict.answer(status: Int(response.status.code), body: bytes)
        } catch {
            verdict = .retry(after: nil)
            answer = "no answer: \(error)"
        }
        let tries = reply.tries + 1
        switch verdict {
        case .sent(let messageID):
            logger.info("reply sent", metadata: ["kind": "\(reply.request.kind.rawValue)", "message_id": "\(messageID ?? "-")"])
            return .sent(id: reply.id, messageID: messageID, answer: answer)
        case .retry(let after) where tries < config.maxAttempts:
            let backoff = Backoff(initialDelay: config.backoffInitial, maxDelay: config.backoffMax)
            let delay = min(after ?? backoff.delay(afterAttempt: tries), config.backoffMax)
            logger.warning("reply not sent; will try again", metadata: ["answer": "\(answer)", "try": "\(tries)"])
            return .retry(id: reply.id, at: Date() + delay.timeInterval, answer: answer)
        case .retry, .refused:
            logger.error(
                "reply not sent: dead letter (coregate replay --action \(reply.id) to send it again)",
                metadata: ["answer": "\(answer)", "tries": "\(tries)"])
            return .dead(id: reply.id, answer: answer)
        }
    }
}

extension ReplyOutcome {
    /// The metric's `result` label.
    var result: String {
        switch self {
        case .sent: "sent"
        case .retry: "retry"
        case .dead: "failed"
        }
    }
}

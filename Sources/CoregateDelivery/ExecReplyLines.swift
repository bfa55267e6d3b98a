import CoregateStore
import CoregateTenants
import CoregateWhatsApp

/// An exec handler asks for actions by printing lines `{"reply": ACTION}` on stdout (SPEC §10);
/// every other line is output as before. All of stdout stays with the attempt either way.
public enum ExecReplyLines {
    /// The actions asked for, in order. A line that starts like a reply but is not a good one is
    /// an error, never skipped: a customer must not silently miss an answer.
    ///
    /// Only the kept part of stdout can be read: when it was cut at the runner's limit and held
    /// a reply, some replies may be lost, and that is an error too.
    public static func actions(in stdout: [UInt8], truncated: Bool) throws(ReplyError) -> [ReplyAction] {
        var lines = stdout.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false)
        let partial = truncated ? lines.popLast() : nil
        var actions: [ReplyAction] = []
        for (index, line) in lines.enumerated() {
            let compact = line.filter { ![UInt8(ascii: " "), UInt8(ascii: "\t"), UInt8(ascii: "\r")].contains($0) }
            guard compact.first == UInt8(ascii: "{") else { continue }
            let value: JSONValue
            do throws(JSONSyntaxError) {
                value = try JSONParser.parse(Array(line))
            } catch {
                if compact.starts(with: Self.replyPrefix) {
                    throw ReplyError("stdout line \(index + 1) is not valid JSON: \(error)")
                }
                continue
            }
            guard let action = value["reply"] else { continue }
            guard case .object(let members) = value, members.count == 1 else {
                throw ReplyError("stdout line \(index + 1): a reply line holds only \"reply\"")
            }
            do throws(ReplyError) {
                actions.append(try ReplyAction(action))
            } catch {
                throw ReplyError("stdout line \(index + 1): \(error.message)")
            }
        }
        if let partial, !actions.isEmpty || partial.filter({ $0 != UInt8(ascii: " ") }).starts(with: Self.replyPrefix) {
            throw ReplyError("stdout passed the limit kept with an attempt, so replies after it would be lost; print less")
        }
        return actions
    }

    private static let replyPrefix = Array(#"{"reply""#.utf8)
}

extension HandlerResult {
    /// For a successful run, the replies it asked for, addressed to the event's customer as the
    /// tenant's sender sends them. An action that cannot be sent (a bad line, an event with no
    /// customer) turns the success into a bad reply: retried like a failure, and nothing of it is
    /// sent.
    mutating func addressReplies(_ actions: Result<[ReplyAction], ReplyError>, for invocation: HandlerInvocation) {
        guard outcome == .succeeded else { return }
        do throws(ReplyError) {
            let actions = try actions.get()
            guard !actions.isEmpty else { return }
            let customer = ReplyAddress(event: invocation.eventJSON)
            replies = try actions.map { (action) throws(ReplyError) in try action.request(to: customer, sender: invocation.sender) }
        } catch {
            outcome = .badReply(reason: error.message)
            replies = []
        }
    }

    /// ``addressReplies(_:for:)`` with the `{"reply": …}` lines of an exec handler's stdout.
    mutating func addressExecReplies(for invocation: HandlerInvocation) {
        guard outcome == .succeeded else { return }
        let (output, truncated) = (standardOutput, standardOutputTruncated)
        let actions = Result { () throws(ReplyError) in try ExecReplyLines.actions(in: output, truncated: truncated) }
        addressReplies(actions, for: invocation)
    }
}

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

extension AttemptReport {
    /// The record of a run, with the requests for the actions it asked for when it succeeded.
    /// An action that cannot be sent (a bad line, an event with no customer) turns the success into
    /// a `bad-reply` attempt, with the reason after its stdout: it is retried like a failure, and
    /// nothing of it is sent.
    public init(_ result: HandlerResult, event: [UInt8], sender: Sender) {
        self.init(result)
        guard outcome == .succeeded else { return }
        do throws(ReplyError) {
            let actions: [ReplyAction]
            if let listed = result.replyActions {
                actions = try listed.get()
            } else {
                actions = try ExecReplyLines.actions(in: result.standardOutput, truncated: result.standardOutputTruncated)
            }
            guard !actions.isEmpty else { return }
            let customer = ReplyAddress(event: event)
            replies = try actions.map { (action) throws(ReplyError) in try action.request(to: customer, sender: sender) }
        } catch {
            outcome = .badReply
            replies = []
            if !stdout.isEmpty && stdout.last != UInt8(ascii: "\n") { stdout.append(UInt8(ascii: "\n")) }
            stdout += Array("coregate: cannot send the reply: \(error.message)\n".utf8)
        }
    }
}

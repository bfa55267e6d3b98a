import CoregateWhatsApp

/// One answer line of a stream handler (SPEC §7b, §10):
/// `{"id": "<event id>", "status": "done" | "retry" | "failed", "detail": "…", "actions": [ACTION, …]}`.
///
/// The one place that reads an answer: a key added to the protocol is read here and carried on.
struct StreamAnswer: Equatable {
    enum Status: String {
        /// As exit 0: the event is done for this handler.
        case done
        /// As exit 75: try again later; it counts as an attempt.
        case retry
        /// As any other exit: a failed attempt.
        case failed
    }

    var id: String
    var status: Status
    /// Optional free text, kept with the attempt as exec mode keeps stdout.
    var detail: String
    /// The replies it asks for (sent only when `done`), or why they cannot be sent: that makes the
    /// attempt a bad reply, not the line garbage, so the worker keeps running.
    var actions: Result<[ReplyAction], ReplyError>

    /// Why a line is not an answer; the worker that wrote it is restarted.
    struct Refusal: Error, Equatable, CustomStringConvertible {
        var description: String
    }

    /// `line` without its newline.
    init(line: [UInt8]) throws(Refusal) {
        guard let value = JSONValue(parsing: line), case .object = value else {
            throw Refusal(description: "not a JSON object: \(Self.excerpt(line))")
        }
        guard case .string(let id)? = value["id"], !id.isEmpty else {
            throw Refusal(description: "no \"id\" string: \(Self.excerpt(line))")
        }
        guard case .string(let word)? = value["status"], let status = Status(rawValue: word) else {
            throw Refusal(description: "\"status\" is not \"done\", \"retry\" or \"failed\": \(Self.excerpt(line))")
        }
        var detail = ""
        switch value["detail"] {
        case .string(let text)?: detail = text
        case nil, .null?: break
        default: throw Refusal(description: "\"detail\" is not a string: \(Self.excerpt(line))")
        }
        self.id = id
        self.status = status
        self.detail = detail
        do throws(ReplyError) {
            actions = .success(try ReplyAction.list(value["actions"]))
        } catch {
            actions = .failure(error)
        }
    }

    /// The start of a refused line, for the log: enough to recognise it, never a flood.
    static func excerpt(_ line: [UInt8]) -> String {
        let limit = 200
        let text = String(decoding: line.prefix(limit), as: UTF8.self)
        return line.count > limit ? text + "… (\(line.count) bytes)" : text
    }
}

import Crypto

/// Event ids. The same upstream item always gets the same id, however often and in whatever batch
/// it is redelivered, so the store can drop a redelivery by its (tenant, id) key:
///
/// - a message: `msg:` + its message id (`msg:ABEGFVVQAQd3AgohzaU7PgTu9v5q`);
/// - a status: `status:` + the message id + `:` + the status (`status:gBEG…:read`): one message
///   has several statuses, and each is one event. A group message's status comes once per
///   participant with the same id and status, so `:` + the participant follows;
/// - an error notification: `error:` + the SHA-256, in hex, of the error object as canonical JSON
///   (members sorted by key, no whitespace, numbers as sent). Error notifications carry no id or
///   time, so an identical notification sent again later is taken for a redelivery;
/// - a Cloud change of another field: `field:` + the field + `:` + the SHA-256 of its entry as
///   canonical JSON, reduced to that one change, so the entry's id and `time` count too;
/// - an item that could not be decoded: `malformed:` + the SHA-256 of its event type, a newline
///   and the item as canonical JSON, since nothing in it can be trusted to identify it.
///
/// The prefixes keep these apart: a `deleted` status names the message it deleted, so its
/// message id is also a message event's. Upstream ids are checked to be 1 to 256 printable ASCII
/// characters (`Fields.identifier`), and statuses and fields to be lowercase words, so an id is
/// always a short single line. docs/event-ids.md explains this for operators.
enum EventID {
    static func message(_ messageID: String) -> String {
        "msg:" + messageID
    }

    static func status(_ messageID: String, _ status: String, participant: String?) -> String {
        "status:" + messageID + ":" + status + (participant.map { ":" + $0 } ?? "")
    }

    static func error(_ item: JSONValue) -> String {
        "error:" + digest(of: item)
    }

    static func field(_ field: String, entry: JSONValue) -> String {
        "field:" + field + ":" + digest(of: entry)
    }

    static func malformed(_ type: String, item: JSONValue) -> String {
        "malformed:" + digest(of: item, after: Array((type + "\n").utf8))
    }

    /// SHA-256 in hex of `prefix` followed by `item` as canonical JSON.
    private static func digest(of item: JSONValue, after prefix: [UInt8] = []) -> String {
        var canonical = JSONWriter()
        canonical.sortsKeys = true
        canonical.write(item)
        let digest = SHA256.hash(data: prefix + canonical.bytes)
        return digest.map { byte in
            let digits = String(byte, radix: 16)
            return digits.count == 1 ? "0" + digits : digits
        }.joined()
    }
}

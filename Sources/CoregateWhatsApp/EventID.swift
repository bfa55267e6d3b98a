import Crypto

/// Event ids. The same upstream item always gets the same id, however often and in whatever batch
/// it is redelivered, so the store can drop a redelivery by its (tenant, id) key:
///
/// - a message: `msg:` + its message id (`msg:ABEGFVVQAQd3AgohzaU7PgTu9v5q`);
/// - a status: `status:` + the message id + `:` + the status (`status:gBEG…:read`): one message
///   has several statuses, and each is one event;
/// - an error notification: `error:` + the SHA-256, in hex, of the error object as canonical JSON
///   (members sorted by key, no whitespace, numbers as sent). Error notifications carry no id or
///   time, so an identical notification sent again later is taken for a redelivery.
///
/// The prefixes keep the three apart: a `deleted` status names the message it deleted, so its
/// message id is also a message event's. Upstream ids are checked to be 1 to 256 printable ASCII
/// characters (`Fields.identifier`), and statuses to be lowercase words, so an id is always a
/// short single line. docs/event-ids.md explains this for operators.
enum EventID {
    static func message(_ messageID: String) -> String {
        "msg:" + messageID
    }

    static func status(_ messageID: String, _ status: String) -> String {
        "status:" + messageID + ":" + status
    }

    static func error(_ item: JSONValue) -> String {
        var canonical = JSONWriter()
        canonical.sortsKeys = true
        canonical.write(item)
        let digest = SHA256.hash(data: canonical.bytes)
        return "error:" + digest.map { byte in
            let digits = String(byte, radix: 16)
            return digits.count == 1 ? "0" + digits : digits
        }.joined()
    }
}

import CoregateTenants
import Foundation

/// An event in the form a handler reads it (SPEC §6), with the fields that name it.
///
/// `coregate run-handler` must hand a handler exactly the bytes the service would. An event may
/// reach it as a webhook body, or as JSON someone saved from `coregate decode` and perhaps edited
/// and indented; either way it ends up here, as one compact line written by the service's writer.
public struct EventLine: Sendable, Equatable {
    public var id: String
    public var tenant: String
    public var type: String
    /// One JSON object on one line, without the trailing newline.
    public var json: [UInt8]

    public init(_ event: Event) {
        self.init(id: event.id, tenant: event.tenant, type: event.type, json: event.jsonLine())
    }

    init(id: String, tenant: String, type: String, json: [UInt8]) {
        self.id = id
        self.tenant = tenant
        self.type = type
        self.json = json
    }

    /// The events in what a handler author gives `run-handler`, for `tenant`:
    /// - a webhook body, decoded as the service decodes it for a tenant with this `sender`;
    /// - one normalized event (`version` 1), on one line or indented;
    /// - normalized events one per line, as `coregate decode` prints them.
    ///
    /// A normalized event for another tenant is refused: the service never gives a handler one,
    /// and quietly rewriting it would hide a mistake in the test.
    public static func events(
        in input: [UInt8], sender: Sender, tenant: String, receivedAt: Date
    ) throws(DecodeError) -> [EventLine] {
        let document: JSONValue
        do {
            document = try JSONParser.parse(input)
        } catch {
            // Not one JSON document: perhaps several events, one a line; if not, the whole input's
            // error is the one worth showing.
            guard let several = eventsPerLine(input) else {
                throw DecodeError(error)
            }
            return try all(several, belongTo: tenant)
        }
        guard let event = try normalized(document) else {
            return try WebhookDecoder.decode(input, sender: sender, tenant: tenant, receivedAt: receivedAt)
                .map(EventLine.init)
        }
        return try all([event], belongTo: tenant)
    }

    private static func all(_ events: [EventLine], belongTo tenant: String) throws(DecodeError) -> [EventLine] {
        for event in events where event.tenant != tenant {
            throw DecodeError(
                "event \(DecodeError.quotable(event.id)) is for tenant \(DecodeError.quotable(event.tenant)), not \(tenant); "
                    + "write it with `coregate decode --tenant \(tenant)`, or pass the webhook body itself")
        }
        return events
    }

    /// Two or more lines, each a normalized event (blank lines skipped); nil otherwise.
    private static func eventsPerLine(_ input: [UInt8]) -> [EventLine]? {
        let lines = input.split(separator: UInt8(ascii: "\n")).filter { line in
            line.contains { !" \t\r".utf8.contains($0) }
        }
        guard lines.count > 1 else { return nil }
        var events: [EventLine] = []
        for line in lines {
            guard let document = try? JSONParser.parse(Array(line)), let event = try? normalized(document) else {
                return nil
            }
            events.append(event)
        }
        return events
    }

    /// The event a document spells, or nil when it is no normalized event (it has no `version`),
    /// such as a webhook body.
    private static func normalized(_ document: JSONValue) throws(DecodeError) -> EventLine? {
        guard case .object = document, let version = document["version"] else { return nil }
        guard version == .number("1") else {
            throw DecodeError("only version 1 events can be read; this one says \(DecodeError.quotable("\(version)"))")
        }
        guard case .string(let id)? = document["id"], case .string(let tenant)? = document["tenant"],
              case .string(let type)? = document["type"]
        else { throw DecodeError("a normalized event needs the strings id, tenant and type") }
        var writer = JSONWriter()
        writer.write(document)
        return EventLine(id: id, tenant: tenant, type: type, json: writer.bytes)
    }
}

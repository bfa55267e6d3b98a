import CoregateTenants
import Testing

@Suite("Event type globs")
struct EventTypePatternTests {
    @Test("a glob matches the event types it names", arguments: [
        ("message.*", "message.text"),
        ("message.*", "message.unknown"),
        ("status.read", "status.read"),
        ("*", "message.text"),
        ("*", "error"),
        ("error", "error"),
        ("status.*", "status.delivered"),
        ("*.read", "status.read"),
        ("message.*t", "message.text"),
        ("m*e*.t*", "message.text"),
    ])
    func matches(glob: String, eventType: String) {
        #expect(EventTypePattern(glob).matches(eventType))
    }

    @Test("a glob does not match other event types", arguments: [
        ("message.*", "status.read"),
        ("message.*", "message"),
        ("message.*", "xmessage.text"),
        ("status.read", "status.reads"),
        ("status.read", "status.delivered"),
        ("error", "errors"),
        ("error", ""),
        ("*.read", "status.delivered"),
        ("message.*t", "message.image"),
    ])
    func doesNotMatch(glob: String, eventType: String) {
        #expect(!EventTypePattern(glob).matches(eventType))
    }

    @Test("a handler takes an event when any of its globs matches")
    func handlerTakesEvent() {
        let receipts = HandlerConfig(name: "receipts", events: ["status.*", "error"], command: ["/bin/true"])
        #expect(receipts.takes(eventType: "status.read"))
        #expect(receipts.takes(eventType: "error"))
        #expect(!receipts.takes(eventType: "message.text"))
        #expect(!HandlerConfig(name: "none", events: [], command: ["/bin/true"]).takes(eventType: "error"))
    }
}

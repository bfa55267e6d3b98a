import CoregateDelivery
import CoregateTenants
import Testing

@Suite("Handler environment")
struct HandlerEnvironmentTests {
    let invocation = HandlerInvocation(
        tenant: "acme", sender: .onPremises,
        handler: HandlerConfig(
            name: "bot", events: ["message.*"], command: ["/opt/bot"],
            env: ["COREAPP_URL": "https://10.20.0.5:9090", "PATH": "/opt/venv/bin:/usr/bin"]),
        eventID: "evt-7", eventType: "message.text", eventJSON: Array(#"{"text":"héllo"}"#.utf8), attempt: 3,
        stateDirectory: "/var/lib/coregate/tenants/acme")

    @Test("it is exactly coregate's variables plus the handler's env")
    func exactVariables() {
        #expect(HandlerEnvironment.variables(for: invocation) == [
            "COREGATE_TENANT": "acme",
            "COREGATE_EVENT_ID": "evt-7",
            "COREGATE_EVENT_TYPE": "message.text",
            "COREGATE_HANDLER": "bot",
            "COREGATE_ATTEMPT": "3",
            "COREGATE_STATE_DIR": "/var/lib/coregate/tenants/acme",
            "CONTENT_TYPE": "application/json",
            "CONTENT_LENGTH": "18",  // bytes, not characters: é is two, and the newline counts
            "PATH": "/opt/venv/bin:/usr/bin",
            "LANG": "C.UTF-8",
            "COREAPP_URL": "https://10.20.0.5:9090",
        ])
    }

    @Test("without PATH or LANG in the handler's env it gets the safe defaults")
    func defaults() {
        var plain = invocation
        plain.handler.env = [:]
        let variables = HandlerEnvironment.variables(for: plain)
        #expect(variables["PATH"] == "/usr/local/bin:/usr/bin:/bin")
        #expect(variables["LANG"] == "C.UTF-8")
    }

    @Test("the handler's env cannot change what coregate says about the event")
    func coregateVariablesWin() {
        var sneaky = invocation
        sneaky.handler.env = ["COREGATE_TENANT": "other", "CONTENT_LENGTH": "1", "COREGATE_ATTEMPT": "99"]
        let variables = HandlerEnvironment.variables(for: sneaky)
        #expect(variables["COREGATE_TENANT"] == "acme")
        #expect(variables["CONTENT_LENGTH"] == "18")
        #expect(variables["COREGATE_ATTEMPT"] == "3")
    }

    @Test("stdin is the event JSON and one newline")
    func standardInput() {
        #expect(invocation.standardInput == Array(#"{"text":"héllo"}"#.utf8) + [10])
    }

    @Test("a tenant's state folder is under the service's state_dir")
    func stateDirectory() {
        #expect(HandlerInvocation.stateDirectory(forTenant: "acme", under: "/var/lib/coregate") == "/var/lib/coregate/tenants/acme")
    }
}

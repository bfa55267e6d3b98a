import CoregateTenants

/// One handler to run once on one event: everything the runner and `coregate run-handler` need,
/// and nothing of the service, so both give a handler exactly the same input.
public struct HandlerInvocation: Sendable, Equatable {
    public var tenant: String
    /// The tenant's sender, which says how its replies are sent.
    public var sender: Sender
    public var handler: HandlerConfig
    public var eventID: String
    public var eventType: String
    /// The normalized event (SPEC §6): one JSON object, UTF-8, without the trailing newline.
    public var eventJSON: [UInt8]
    /// 1 for the first attempt.
    public var attempt: Int
    /// The tenant's own writable folder; the runner creates it when missing.
    public var stateDirectory: String

    public init(
        tenant: String, sender: Sender, handler: HandlerConfig, eventID: String, eventType: String, eventJSON: [UInt8],
        attempt: Int, stateDirectory: String
    ) {
        self.tenant = tenant
        self.sender = sender
        self.handler = handler
        self.eventID = eventID
        self.eventType = eventType
        self.eventJSON = eventJSON
        self.attempt = attempt
        self.stateDirectory = stateDirectory
    }

    /// The service's way: the tenant's folder under `stateDir`, the service's `state_dir`.
    public init(
        tenant: String, sender: Sender, handler: HandlerConfig, eventID: String, eventType: String, eventJSON: [UInt8],
        attempt: Int, stateDir: String
    ) {
        self.init(
            tenant: tenant, sender: sender, handler: handler, eventID: eventID, eventType: eventType, eventJSON: eventJSON,
            attempt: attempt, stateDirectory: Self.stateDirectory(forTenant: tenant, under: stateDir))
    }

    /// What the handler reads on stdin: the event and a newline, then end of input.
    public var standardInput: [UInt8] {
        eventJSON + [UInt8(ascii: "\n")]
    }

    /// The folder a tenant's handlers get as `COREGATE_STATE_DIR`, under the service's `state_dir`.
    /// Tenant ids are `[a-z0-9][a-z0-9_-]*`, so the id cannot climb out of the folder.
    public static func stateDirectory(forTenant tenant: String, under stateDir: String) -> String {
        stateDir + "/tenants/" + tenant
    }
}

/// One decoded event, as the store takes it: the store does not know the decoder's types.
public struct NewEvent: Sendable, Equatable {
    /// Stable across redeliveries: the same upstream item always gets the same id.
    public var id: String
    public var tenant: String
    public var type: String
    /// The contact's `wa_id`. A handler gets one contact's events in arrival order; `nil` means
    /// the event belongs to no contact and is ordered with nothing.
    public var contactKey: String?
    /// What the handler reads on stdin.
    public var json: [UInt8]
    /// Names of the tenant's handlers whose event globs match: one delivery each.
    public var handlers: [String]

    public init(id: String, tenant: String, type: String, contactKey: String?, json: [UInt8], handlers: [String]) {
        self.id = id
        self.tenant = tenant
        self.type = type
        self.contactKey = contactKey
        self.json = json
        self.handlers = handlers
    }
}

/// What one `enqueue` call did with its events.
public struct EnqueueResult: Sendable, Equatable {
    /// Events stored now, with their deliveries queued.
    public var stored: Int
    /// Events already stored earlier (a redelivered request): nothing was queued for them.
    public var duplicates: Int

    public init(stored: Int, duplicates: Int) {
        self.stored = stored
        self.duplicates = duplicates
    }
}

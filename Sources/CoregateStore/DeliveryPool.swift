/// The deliveries one group of handler slots draws from: a tenant's, or only some of its handlers'.
///
/// A tenant's exec handlers share its `concurrency` (processes at once), while each of its stream
/// handlers has its own capacity (workers × `max_inflight`), so the dispatcher claims for each of
/// them separately. A string literal is the whole tenant.
public struct DeliveryPool: Sendable, Hashable, CustomStringConvertible, ExpressibleByStringLiteral {
    public var tenant: String
    public var handlers: Handlers

    public enum Handlers: Sendable, Hashable {
        case all
        case only(String)
        /// Every handler but these (sorted, so equal pools compare equal).
        case allBut([String])
    }

    public init(tenant: String, handlers: Handlers = .all) {
        self.tenant = tenant
        if case .allBut(let names) = handlers {
            self.handlers = names.isEmpty ? .all : .allBut(names.sorted())
        } else {
            self.handlers = handlers
        }
    }

    public init(stringLiteral tenant: String) {
        self.init(tenant: tenant)
    }

    public var description: String {
        switch handlers {
        case .all: tenant
        case .only(let handler): "\(tenant)/\(handler)"
        case .allBut(let names): "\(tenant) (but \(names.joined(separator: ", ")))"
        }
    }

    /// The SQL condition on `delivery.handler` (empty for every handler), and its arguments.
    var handlerCondition: (sql: String, arguments: [String]) {
        switch handlers {
        case .all: ("", [])
        case .only(let handler): (" AND handler = ?", [handler])
        case .allBut(let names): (" AND handler NOT IN (" + names.map { _ in "?" }.joined(separator: ", ") + ")", names)
        }
    }
}

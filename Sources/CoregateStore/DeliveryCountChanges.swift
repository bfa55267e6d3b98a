import GRDB

/// What one transaction does to `delivery_count`: each change of a delivery's state is noted
/// here, and ``write(to:)`` applies the sums at the end, one upsert per (tenant, state) that
/// moved. A stream handler's settle of 64 answers and claim of 64 more then costs two upserts,
/// where a trigger ran 256 statements. Deletes are counted by the `delivery_count_delete` trigger
/// instead (a pruned event's deliveries go by cascade, which no writer sees row by row).
///
/// Every write of a delivery's state goes through one of these, in the transaction of the write:
/// the CLI's replay as much as the service's claims, so `stats` stays exact whichever process
/// wrote.
struct DeliveryCountChanges {
    private struct Key: Hashable {
        var tenant: String
        var state: DeliveryState
    }

    private var changes: [Key: Int] = [:]

    /// `count` deliveries of the tenant went from `old` to `new`; nil is "not stored" (an insert).
    mutating func move(tenant: String, from old: DeliveryState?, to new: DeliveryState, count: Int = 1) {
        guard old != new else { return }
        if let old { changes[Key(tenant: tenant, state: old), default: 0] -= count }
        changes[Key(tenant: tenant, state: new), default: 0] += count
    }

    /// Each tenant's change of backlog (pending, running and retrying deliveries), for
    /// ``BacklogCounts/add(_:)``.
    var backlog: [String: Int] {
        var backlog: [String: Int] = [:]
        for (key, change) in changes where !key.state.isFinished && change != 0 {
            backlog[key.tenant, default: 0] += change
        }
        return backlog.filter { $0.value != 0 }
    }

    /// A count that would go below zero fails the transaction (the table's CHECK): it would mean
    /// a write that did not note what it changed. Not an upsert: SQLite checks the row an upsert
    /// would insert before it finds the conflict, so a negative change would fail the CHECK.
    func write(to db: Database) throws {
        let update = try db.cachedStatement(sql: "UPDATE delivery_count SET n = n + ?3 WHERE tenant = ?1 AND state = ?2")
        let insert = try db.cachedStatement(sql: "INSERT INTO delivery_count (tenant, state, n) VALUES (?1, ?2, ?3)")
        for (key, change) in changes where change != 0 {
            let arguments: StatementArguments = [key.tenant, key.state.rawValue, change]
            try update.execute(arguments: arguments)
            if db.changesCount == 0 { try insert.execute(arguments: arguments) }
        }
    }
}

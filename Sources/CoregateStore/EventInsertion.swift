import Foundation
import GRDB

/// The SQL of one group commit: events and their deliveries, inside the caller's transaction.
enum EventInsertion {
    /// Inserts each request's events, skipping those already stored, and returns each request's
    /// counts in order, and how many deliveries each tenant got.
    static func insert(
        _ requests: [[NewEvent]], into db: Database, now: Date
    ) throws -> (results: [EnqueueResult], queued: [String: Int]) {
        let now = now.storeMilliseconds
        // ON CONFLICT names the one conflict that means "redelivered"; any other constraint
        // violation still fails the transaction.
        let insertEvent = try db.cachedStatement(sql: """
            INSERT INTO event (tenant, id, type, contact_key, stored_at, json) VALUES (?, ?, ?, ?, ?, ?)
            ON CONFLICT (id, tenant) DO NOTHING
            """)
        let insertDelivery = try db.cachedStatement(sql: """
            INSERT INTO delivery (event_seq, tenant, handler, contact_key, state, is_head, next_attempt_at)
            VALUES (?, ?, ?, ?, 'pending', ?, ?)
            """)
        var counts = DeliveryCountChanges()
        let results = try requests.map { events in
            var result = EnqueueResult(stored: 0, duplicates: 0)
            for event in events {
                try insertEvent.run([
                    .text(event.tenant), .text(event.id), .text(event.type), .text(event.contactKey), .integer(now),
                    .blob(event.json),
                ])
                guard db.changesCount == 1 else {
                    result.duplicates += 1
                    continue
                }
                result.stored += 1
                let seq = db.lastInsertedRowID
                var seen = Set<String>()
                for handler in event.handlers where seen.insert(handler).inserted {
                    let isHead = try Lanes.isFree(
                        db, tenant: event.tenant, handler: handler, contactKey: event.contactKey)
                    try insertDelivery.run([
                        .integer(seq), .text(event.tenant), .text(handler), .text(event.contactKey), .integer(isHead ? 1 : 0),
                        .integer(now),
                    ])
                    counts.move(tenant: event.tenant, from: nil, to: .pending)
                }
            }
            return result
        }
        try counts.write(to: db)
        return (results, counts.backlog)
    }
}

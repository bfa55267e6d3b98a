import Foundation
import Logging
import NIOCore
import PostgresNIO

/// The SQL of one PostgreSQL group commit: a handful of statements whatever the batch, since
/// each one is a round trip to the server.
enum PostgresIngest {
    /// Rows per multi-row INSERT; PostgreSQL takes at most 65,535 parameters a statement.
    static let rowsPerStatement = 5000

    private struct EventKey: Hashable {
        let tenant: String
        let id: String
    }

    private struct Lane: Hashable {
        let tenant: String
        let handler: String
        let contactKey: String
    }

    /// Inserts each request's events, skipping those already stored, and returns each request's
    /// counts in order, and how many deliveries each tenant got. See ``EventInsertion``.
    static func insert(
        _ requests: [[NewEvent]], _ connection: PostgresConnection, now: Date, logger: Logger
    ) async throws -> (results: [EnqueueResult], queued: [String: Int]) {
        let now = now.storeMilliseconds
        // The first of each (tenant, id) in the batch is the one that may be new.
        var firsts: [EventKey: NewEvent] = [:]
        var order: [EventKey] = []
        var lanes = Set<Lane>()
        for event in requests.joined() {
            let key = EventKey(tenant: event.tenant, id: event.id)
            guard firsts[key] == nil else { continue }
            firsts[key] = event
            order.append(key)
            if let contactKey = event.contactKey {
                for handler in event.handlers { lanes.insert(Lane(tenant: event.tenant, handler: handler, contactKey: contactKey)) }
            }
        }
        // The events' keys too: two nodes storing the same events (a sender's retry reached the
        // other node) would otherwise wait for each other's unique index entries, in any order.
        let laneKeys = lanes.map { LaneKey.of(tenant: $0.tenant, handler: $0.handler, contactKey: $0.contactKey) }
        let eventKeys = order.map { LaneKey.of(event: $0.id, tenant: $0.tenant) }
        try await LaneKey.lock(Set(laneKeys + eventKeys), connection, logger: logger)

        // In arrival order: `seq` orders the events as `coregate events` lists them.
        var stored: [EventKey: Int64] = [:]
        for chunk in order.chunked(rowsPerStatement) {
            var sql = "INSERT INTO event (tenant, id, type, contact_key, stored_at, json) VALUES "
            var binds = PostgresBindings(capacity: chunk.count * 6)
            for (n, key) in chunk.enumerated() {
                let event = firsts[key]!
                let base = n * 6
                sql += (n == 0 ? "" : ", ") + "($\(base + 1), $\(base + 2), $\(base + 3), $\(base + 4), $\(base + 5), $\(base + 6))"
                binds.append(event.tenant)
                binds.append(event.id)
                binds.append(event.type)
                binds.append(event.contactKey)
                binds.append(now)
                binds.append(ByteBuffer(bytes: event.json))
            }
            sql += " ON CONFLICT (id, tenant) DO NOTHING RETURNING tenant, id, seq"
            let rows = try await connection.query(PostgresQuery(unsafeSQL: sql, binds: binds), logger: logger)
            for try await (tenant, id, seq) in rows.decode((String, String, Int64).self) {
                stored[EventKey(tenant: tenant, id: id)] = seq
            }
        }

        var laneTaken = try await busyLanes(lanes, connection, logger: logger)
        var deliveries: [(seq: Int64, event: NewEvent, handler: String, isHead: Bool)] = []
        var queued: [String: Int] = [:]
        for key in order {
            guard let seq = stored[key], let event = firsts[key] else { continue }
            var seen = Set<String>()
            for handler in event.handlers where seen.insert(handler).inserted {
                var isHead = true
                if let contactKey = event.contactKey {
                    isHead = laneTaken.insert(Lane(tenant: event.tenant, handler: handler, contactKey: contactKey)).inserted
                }
                deliveries.append((seq, event, handler, isHead))
                queued[event.tenant, default: 0] += 1
            }
        }
        for chunk in deliveries.chunked(rowsPerStatement) {
            var sql = "INSERT INTO delivery (event_seq, tenant, handler, contact_key, state, is_head, next_attempt_at) VALUES "
            var binds = PostgresBindings(capacity: chunk.count * 6)
            for (n, delivery) in chunk.enumerated() {
                let base = n * 6
                sql += (n == 0 ? "" : ", ") + "($\(base + 1), $\(base + 2), $\(base + 3), $\(base + 4), 'pending', $\(base + 5), $\(base + 6))"
                binds.append(delivery.seq)
                binds.append(delivery.event.tenant)
                binds.append(delivery.handler)
                binds.append(delivery.event.contactKey)
                binds.append(delivery.isHead)
                binds.append(now)
            }
            try await connection.query(PostgresQuery(unsafeSQL: sql, binds: binds), logger: logger)
        }
        try await PostgresStore.notifyWork(queued.keys, connection, logger: logger)

        var claimedFirst = Set<EventKey>()
        let results = requests.map { events in
            var result = EnqueueResult(stored: 0, duplicates: 0)
            for event in events {
                let key = EventKey(tenant: event.tenant, id: event.id)
                if stored[key] != nil && claimedFirst.insert(key).inserted {
                    result.stored += 1
                } else {
                    result.duplicates += 1
                }
            }
            return result
        }
        return (results, queued)
    }

    /// The lanes among these that have an unfinished delivery already, read from `delivery_by_lane`.
    private static func busyLanes(_ lanes: Set<Lane>, _ connection: PostgresConnection, logger: Logger) async throws -> Set<Lane> {
        var busy = Set<Lane>()
        for chunk in Array(lanes).chunked(rowsPerStatement) {
            var sql = """
                SELECT DISTINCT d.tenant, d.handler, d.contact_key FROM delivery AS d
                JOIN (VALUES
                """
            var binds = PostgresBindings(capacity: chunk.count * 3)
            for (n, lane) in chunk.enumerated() {
                let base = n * 3
                sql += (n == 0 ? " " : ", ") + "($\(base + 1)::text, $\(base + 2)::text, $\(base + 3)::text)"
                binds.append(lane.tenant)
                binds.append(lane.handler)
                binds.append(lane.contactKey)
            }
            sql += """
                ) AS lane (tenant, handler, contact_key)
                  ON d.tenant = lane.tenant AND d.handler = lane.handler AND d.contact_key = lane.contact_key
                WHERE d.state IN ('pending', 'running', 'retrying')
                """
            let rows = try await connection.query(PostgresQuery(unsafeSQL: sql, binds: binds), logger: logger)
            for try await (tenant, handler, contactKey) in rows.decode((String, String, String).self) {
                busy.insert(Lane(tenant: tenant, handler: handler, contactKey: contactKey))
            }
        }
        return busy
    }
}

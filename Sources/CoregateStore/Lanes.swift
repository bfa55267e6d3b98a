import GRDB

/// A lane is one handler's deliveries for one contact: (tenant, handler, contact_key). A handler
/// must see a contact's events in arrival order, so only a lane's *head*, its oldest unfinished
/// delivery, may be claimed; the rest wait until it is done or dead.
///
/// The head is marked (`is_head = 1`) when it becomes head, instead of being searched for at
/// claim time: a claim then reads only heads from the `delivery_due` index, however many
/// deliveries wait behind them. Every change that can move a head goes through here.
/// A delivery without a contact is a lane of its own, always head.
enum Lanes {
    /// Whether a delivery joining this lane now becomes its head: nothing unfinished is ahead.
    static func isFree(_ db: Database, tenant: String, handler: String, contactKey: String?) throws -> Bool {
        guard let contactKey else { return true }
        let statement = try db.cachedStatement(sql: unfinishedInLaneSQL)
        var taken = false
        try statement.eachRow([.text(tenant), .text(handler), .text(contactKey)]) { _ in taken = true }
        return !taken
    }

    /// After a delivery finished (done or dead), makes the lane's oldest unfinished delivery its
    /// head. A no-op when that one is head already, or when the lane is empty.
    static func promoteNextHead(_ db: Database, tenant: String, handler: String, contactKey: String?) throws {
        guard let contactKey else { return }
        let statement = try db.cachedStatement(sql: promoteNextHeadSQL)
        try statement.run([.text(tenant), .text(handler), .text(contactKey)])
    }

    // Both read `delivery_by_lane`: a lookup in the backlog's index, whatever the backlog.
    static let unfinishedInLaneSQL = """
        SELECT 1 FROM delivery
        WHERE tenant = ? AND handler = ? AND contact_key = ? AND \(StateSQL.unfinished) LIMIT 1
        """
    static let promoteNextHeadSQL = """
        UPDATE delivery SET is_head = 1 WHERE id = (
            SELECT id FROM delivery
            WHERE tenant = ? AND handler = ? AND contact_key = ? AND \(StateSQL.unfinished)
            ORDER BY id LIMIT 1)
        """
}

/// Where one delivery (an event for one handler) stands.
///
/// `pending` → `running` → `done`, or → `retrying` → `running` … → `dead` after the last attempt.
/// `done` and `dead` are finished; the other three are the backlog.
public enum DeliveryState: String, Sendable, Hashable, CaseIterable {
    case pending
    case running
    case retrying
    case done
    case dead

    public var isFinished: Bool { self == .done || self == .dead }
}

/// SQL conditions that partial indexes match. SQLite uses a partial index only when the query
/// repeats the index's condition term for term, so queries take these instead of retyping them.
enum StateSQL {
    /// The backlog (pending, running, retrying: the finished_at CHECK ties the two); matches the
    /// condition of `delivery_by_lane`. Not a list of states: a claim changes the state but never
    /// `finished_at`, so it leaves that index alone, and an IN list of three values would cost a
    /// temporary table per statement.
    static let unfinished = "finished_at IS NULL"
    /// A lane head that can be claimed once due; matches the condition of `delivery_due`.
    static let waitingHead = "is_head = 1 AND state IN ('pending', 'retrying')"
}

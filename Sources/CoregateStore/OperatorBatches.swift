/// The operator's writes (CLI `replay`, `purge`) and retention may run while the service runs, so
/// each works in short transactions of at most `size` rows: the service's commits wait at most one
/// batch for the write lock, and the watchdog keeps beating through a long prune. Both stores loop
/// the same way; only their statements differ.
enum OperatorBatches {
    static let size = 1000

    /// Runs `batch` with the last id of the batch before (0 the first time) until it returns no
    /// ids, which it must return in ascending order; how many ids it returned in all.
    static func afterIDs(_ batch: (_ afterID: Int64) async throws -> [Int64]) async throws -> Int {
        var total = 0
        var afterID: Int64 = 0
        while true {
            let ids = try await batch(afterID)
            guard let last = ids.last else { return total }
            total += ids.count
            afterID = last
        }
    }

    /// Runs `batch`, which handles at most `size` rows and says how many, until one handles fewer;
    /// how many it handled in all.
    static func untilShort(_ batch: () async throws -> Int) async throws -> Int {
        var total = 0
        while true {
            let handled = try await batch()
            total += handled
            if handled < size { return total }
        }
    }
}

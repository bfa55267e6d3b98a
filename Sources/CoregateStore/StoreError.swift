/// A failure of the store that is not an SQLite error.
public struct StoreError: Error, Equatable, CustomStringConvertible {
    enum Code: Equatable {
        case schemaTooNew
        case claimNotRunning(deliveryID: Int64)
        case unavailable
    }

    let code: Code

    /// The file was migrated by a newer coregate: this binary must not write to it.
    public static let schemaTooNew = StoreError(code: .schemaTooNew)

    /// `complete` was given a claim whose delivery is no longer running in that attempt.
    public static func claimNotRunning(deliveryID: Int64) -> StoreError {
        StoreError(code: .claimNotRunning(deliveryID: deliveryID))
    }

    /// The database did not answer in time (unreachable, or overloaded): nothing was committed
    /// that the caller was told about, and the caller may try again.
    public static let unavailable = StoreError(code: .unavailable)

    public var description: String {
        switch code {
        case .schemaTooNew:
            "the database was created by a newer coregate; upgrade this binary"
        case .claimNotRunning(let id):
            "delivery \(id) is no longer running in this attempt (recovered, replayed or purged meanwhile)"
        case .unavailable:
            "the database did not answer in time"
        }
    }
}

import CoregateStore
import CoregateTenants
import Foundation

/// Where the store lives and how durable its commits are: one place for the service and the CLI.
public enum StoreSetup {
    public static func open(_ global: GlobalConfig) async throws -> any Store {
        try FileManager.default.createDirectory(atPath: global.stateDir, withIntermediateDirectories: true)
        return try SQLiteStore(directory: global.stateDir, options: SQLiteStore.Options(powerLossSafe: global.powerLossSafe))
    }
}

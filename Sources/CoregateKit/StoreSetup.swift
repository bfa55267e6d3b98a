import CoregateStore
import CoregateTenants
import Foundation

/// Where the store lives and how durable its commits are: one place for the service and the CLI.
public enum StoreSetup {
    public static func open(_ global: GlobalConfig) throws -> Store {
        try FileManager.default.createDirectory(atPath: global.stateDir, withIntermediateDirectories: true)
        return try Store(directory: global.stateDir, options: Store.Options(powerLossSafe: global.powerLossSafe))
    }
}

import CoregateStore
import CoregateTenants
import Foundation
import Logging

/// Where the store lives and how durable its commits are: one place for the service and the CLI.
public enum StoreSetup {
    /// What a claim's lease adds to the longest handler timeout: the handler's SIGTERM-to-SIGKILL
    /// grace, and the settle that records its end, with room to spare.
    static let leaseGrace = Duration.seconds(10)

    /// The SQLite file under `state_dir`, or the PostgreSQL database `store` names. `lease` only
    /// matters to a service that claims deliveries from a shared database (see ``lease(for:)``).
    public static func open(
        _ global: GlobalConfig, lease: Duration = .seconds(330),
        logger: Logger = Logger(label: "coregate.store", factory: { _ in SwiftLogNoOpLogHandler() })
    ) async throws -> any Store {
        try FileManager.default.createDirectory(atPath: global.stateDir, withIntermediateDirectories: true)
        guard let address = global.store else {
            return try SQLiteStore(directory: global.stateDir, options: SQLiteStore.Options(powerLossSafe: global.powerLossSafe))
        }
        let tls: PostgresStore.Connection.TLS =
            switch address.tls {
            case .disable: .disable
            case .require: .require
            case .verifyFull: .verifyFull(rootCertificate: address.rootCertificate)
            }
        let connection = PostgresStore.Connection(
            host: address.host, port: address.port, user: address.user,
            password: global.storePassword.map { String(decoding: $0.value, as: UTF8.self) },
            database: address.database, tls: tls)
        return try await PostgresStore(connection, options: PostgresStore.Options(lease: lease), logger: logger)
    }

    /// How long a claim keeps a delivery from the other nodes: the longest handler timeout of the
    /// configuration plus ``leaseGrace``. Fixed when the service starts.
    public static func lease(for configuration: Configuration) -> Duration {
        let longest = configuration.tenants.flatMap(\.handlers).map(\.timeout).max() ?? .seconds(30)
        return longest + leaseGrace
    }
}

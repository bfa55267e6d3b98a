// swift-tools-version: 6.2
import PackageDescription

// The pipeline, one module a stage: request → tenant → verified → events → stored → delivered → replied.
// A stage imports only earlier stages; CoregateKit wires them; the executable only parses flags.
let package = Package(
    name: "coregate",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "coregate", targets: ["coregate"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-nio-ssl.git", from: "2.37.6"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-crypto.git", from: "4.5.2"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
        .package(url: "https://github.com/LebJe/TOMLKit.git", from: "0.6.0"),
        .package(url: "https://github.com/groue/GRDB.swift.git", from: "7.10.0"),
        .package(url: "https://github.com/vapor/postgres-nio.git", from: "1.33.2"),
        .package(url: "https://github.com/swift-server/swift-prometheus.git", from: "2.4.1"),
        .package(url: "https://github.com/swift-server/async-http-client.git", from: "1.37.0"),
    ],
    targets: [
        .systemLibrary(name: "CSystemd", pkgConfig: "libsystemd", providers: [.apt(["libsystemd-dev"])]),
        .target(name: "CoregateSystemd", dependencies: [
            "CSystemd",
            .product(name: "Logging", package: "swift-log"),
        ]),
        // One JSON string escaper for the answer, the event and the test webhook alike.
        .target(name: "CoregateJSON"),
        .target(name: "CoregateHTTP", dependencies: [
            "CoregateJSON",
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "NIOPosix", package: "swift-nio"),
            .product(name: "NIOHTTP1", package: "swift-nio"),
            .product(name: "NIOSSL", package: "swift-nio-ssl"),
            .product(name: "NIOTLS", package: "swift-nio"),
            .product(name: "Logging", package: "swift-log"),
        ]),
        .target(name: "CoregateTenants", dependencies: [
            .product(name: "TOMLKit", package: "TOMLKit"),
        ]),
        .target(name: "CoregateVerify", dependencies: [
            "CoregateTenants",
            .product(name: "Crypto", package: "swift-crypto"),
        ]),
        .target(name: "CoregateWhatsApp", dependencies: [
            "CoregateJSON", "CoregateTenants",
            .product(name: "Crypto", package: "swift-crypto"),
        ]),
        // One interface, two stores: SQLite (GRDB) for one box, PostgreSQL for several nodes.
        .target(name: "CoregateStore", dependencies: [
            .product(name: "GRDB", package: "GRDB.swift"),
            .product(name: "PostgresNIO", package: "postgres-nio"),
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "NIOSSL", package: "swift-nio-ssl"),
            .product(name: "Logging", package: "swift-log"),
        ]),
        // posix_spawn with the options a handler needs, callable from any thread, and pidfd_open.
        .target(name: "CSpawn"),
        .target(name: "CoregateDelivery", dependencies: [
            "CoregateTenants", "CoregateStore", "CoregateWhatsApp", "CSpawn",
            .product(name: "Logging", package: "swift-log"),
        ]),
        // replied: the actions handlers asked for, posted to the sender's API after delivery.
        .target(name: "CoregateReplies", dependencies: [
            "CoregateTenants", "CoregateStore", "CoregateWhatsApp",
            .product(name: "AsyncHTTPClient", package: "async-http-client"),
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "NIOHTTP1", package: "swift-nio"),
            .product(name: "Logging", package: "swift-log"),
        ]),
        .target(name: "CoregateKit", dependencies: [
            "CoregateSystemd", "CoregateHTTP", "CoregateTenants", "CoregateVerify", "CoregateWhatsApp",
            "CoregateStore", "CoregateDelivery", "CoregateReplies", "CoregateJSON",
            .product(name: "NIOSSL", package: "swift-nio-ssl"),
            .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            .product(name: "UnixSignals", package: "swift-service-lifecycle"),
            .product(name: "Prometheus", package: "swift-prometheus"),
            .product(name: "Logging", package: "swift-log"),
        ]),
        .executableTarget(name: "coregate", dependencies: [
            "CoregateKit", "CoregateStore", "CoregateWhatsApp", "CoregateDelivery", "CoregateHTTP", "CoregateTenants",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ]),
        .testTarget(name: "CoregateTenantsTests", dependencies: [
                        "CoregateTenants", .product(name: "TOMLKit", package: "TOMLKit"),
                    ],
                    resources: [.copy("Resources")]),
        .testTarget(name: "CoregateJSONTests", dependencies: ["CoregateJSON"]),
        .testTarget(name: "CoregateWhatsAppTests", dependencies: ["CoregateWhatsApp", "CoregateTenants"],
                    resources: [.copy("Resources")]),
        .testTarget(name: "CoregateVerifyTests", dependencies: ["CoregateVerify", "CoregateTenants"]),
        .testTarget(name: "CoregateSystemdTests", dependencies: ["CoregateSystemd"]),
        .testTarget(name: "CoregateHTTPTests", dependencies: [
            "CoregateHTTP",
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "NIOHTTP1", package: "swift-nio"),
            .product(name: "NIOPosix", package: "swift-nio"),
            .product(name: "NIOEmbedded", package: "swift-nio"),
        ]),
        .testTarget(name: "CoregateStoreTests", dependencies: [
            "CoregateStore",
            .product(name: "PostgresNIO", package: "postgres-nio"),
            .product(name: "Logging", package: "swift-log"),
        ]),
        .testTarget(name: "CoregateRepliesTests", dependencies: [
            "CoregateReplies", "CoregateStore", "CoregateTenants",
            .product(name: "Logging", package: "swift-log"),
        ]),
        .testTarget(name: "CoregateKitTests", dependencies: [
            "CoregateKit", "CoregateStore", "CoregateTenants", "CoregateWhatsApp",
            .product(name: "Logging", package: "swift-log"),
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "NIOHTTP1", package: "swift-nio"),
        ]),
        .testTarget(name: "CoregateDeliveryTests", dependencies: [
            "CoregateDelivery", "CoregateTenants", "CoregateStore", "CoregateWhatsApp",
            .product(name: "Logging", package: "swift-log"),
        ]),
    ]
)

// swift-tools-version: 6.2
import PackageDescription

// Decoder throughput, kept off `swift test` and out of the main build. Sources/CoregateWhatsApp is a
// symlink to the real module (SwiftPM refuses target paths outside a package's folder), so this
// needs no library product in the main manifest. Run: Benchmarks/decode/run.sh
let package = Package(
    name: "coregate-decode-benchmark",
    platforms: [.macOS(.v15)],
    dependencies: [
        .package(url: "https://github.com/apple/swift-crypto.git", from: "4.5.2"),
    ],
    targets: [
        .target(name: "CoregateWhatsApp", dependencies: [.product(name: "Crypto", package: "swift-crypto")]),
        .executableTarget(name: "DecodeBenchmark", dependencies: ["CoregateWhatsApp"]),
    ]
)

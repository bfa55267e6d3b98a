// swift-tools-version: 6.2
import PackageDescription

// The decoder's libFuzzer target, built by run.sh with `-sanitize=fuzzer,address`. A package of its
// own so those flags never touch the main build; Sources/CoregateWhatsApp is a symlink to the real
// module, because SwiftPM refuses target paths outside a package's folder.
let package = Package(
    name: "coregate-fuzz",
    platforms: [.macOS(.v15)],
    dependencies: [
        .package(url: "https://github.com/apple/swift-crypto.git", from: "4.5.2"),
    ],
    targets: [
        .target(name: "CoregateWhatsApp", dependencies: [.product(name: "Crypto", package: "swift-crypto")]),
        .executableTarget(name: "DecoderFuzz", dependencies: ["CoregateWhatsApp"]),
    ]
)

// swift-tools-version: 5.4
import PackageDescription

// The decoder's libFuzzer target, built by run.sh with `-sanitize=fuzzer,address`. A package of its
// own so those flags never touch the main build; Sources/CoregateWhatsApp, CoregateJSON and
// CoregateTenants (for `Sender`) are symlinks to the real modules, because SwiftPM refuses target
// paths outside a package's folder.
//
// Tools version 5.4 on purpose: from 5.5 on, SwiftPM renames an executable's entry point to
// `<target>_main` and links `main` to it, which collides with the `main` libFuzzer brings. (The
// module is Swift 6 clean; here it compiles in Swift 5 mode, which changes nothing it does.)
let package = Package(
    name: "coregate-fuzz",
    dependencies: [
        .package(url: "https://github.com/apple/swift-crypto.git", from: "4.5.2"),
        .package(url: "https://github.com/LebJe/TOMLKit.git", from: "0.6.0"),
    ],
    targets: [
        .target(name: "CoregateJSON"),
        .target(name: "CoregateTenants", dependencies: [.product(name: "TOMLKit", package: "TOMLKit")]),
        .target(name: "CoregateWhatsApp", dependencies: [
            "CoregateJSON", "CoregateTenants", .product(name: "Crypto", package: "swift-crypto"),
        ]),
        .executableTarget(name: "DecoderFuzz", dependencies: ["CoregateWhatsApp"]),
    ]
)

import CoregateTenants
import Foundation

/// The bodies under Resources/: copies of the shared fixtures plus this suite's own (see
/// Resources/README.md), so the package tests without the shared folder beside it.
enum Fixtures {
    static func body(_ name: String, in folder: String = "fixtures") throws -> [UInt8] {
        Array(try Data(contentsOf: url(folder).appendingPathComponent(name)))
    }

    static func names(in folder: String) throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: url(folder).path).sorted()
    }

    /// A `cloud-` file is a Cloud API envelope, anything else an On-Premises notification.
    static func sender(of name: String) -> Sender {
        name.hasPrefix("cloud-") ? .cloud : .onPremises
    }

    private static func url(_ folder: String) -> URL {
        Bundle.module.url(forResource: "Resources", withExtension: nil)!.appendingPathComponent(folder)
    }
}

import Foundation

@testable import CoregateTenants

/// A throwaway config root laid out like /etc/coregate: `tenants/*.toml` with other files beside it.
final class ConfigFolder {
    let root: String
    var tenantsDir: String { root + "/tenants" }

    init() throws {
        root = FileManager.default.temporaryDirectory.path + "/coregate-tenants-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: root + "/tenants", withIntermediateDirectories: true)
    }

    deinit {
        try? FileManager.default.removeItem(atPath: root)
    }

    /// Writes `tenants/<id>.toml` and returns its path, as problems name it.
    @discardableResult
    func tenant(_ id: String, _ toml: String) throws -> String {
        try write("tenants/\(id).toml", toml)
    }

    /// Writes a file relative to the root and returns its absolute path.
    @discardableResult
    func write(_ relativePath: String, _ contents: String) throws -> String {
        let path = root + "/" + relativePath
        try FileManager.default.createDirectory(
            atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        try Data(contents.utf8).write(to: URL(fileURLWithPath: path))
        return path
    }

    /// `openFileLimit` is unbounded unless a test says otherwise, so no test depends on the limit it runs under.
    func load(
        environment: [String: String] = [:], globalFile: String? = nil, overrides: ConfigOverrides? = nil,
        openFileLimit: Int = .max
    ) -> (configuration: Configuration?, problems: [ConfigProblem]) {
        ConfigLoader.load(
            globalFile: globalFile, overrides: overrides ?? ConfigOverrides(tenantsDir: tenantsDir), environment: environment,
            openFileLimit: openFileLimit)
    }
}

extension ConfigProblem {
    /// `file.toml:LINE` with the folder left out, or `file.toml` when no line is known: what a test compares.
    var place: String {
        let name = (file as NSString).lastPathComponent
        return line.map { "\(name):\($0)" } ?? name
    }
}

extension [ConfigProblem] {
    var errors: [ConfigProblem] { filter { $0.severity == .error } }
    var warnings: [ConfigProblem] { filter { $0.severity == .warning } }
}

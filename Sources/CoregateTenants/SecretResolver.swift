import Foundation

/// Turns a secret reference from a tenant file into the secret's bytes.
///
/// SPEC §3: `credential:NAME` reads `$CREDENTIALS_DIRECTORY/NAME` (systemd `LoadCredential=`),
/// `file:PATH` reads a file (relative to the folder that holds `tenants/`), `env:NAME` reads the
/// environment given to the loader. Anything else is a literal, accepted with a warning.
/// Messages name the reference, never the value.
struct SecretResolver: Sendable {
    enum Resolution: Equatable {
        case resolved(Secret)
        /// The text was the secret itself.
        case literal(Secret)
        case failed(String)
    }

    var environment: [String: String]
    /// The folder that holds `tenants/`.
    var configRoot: String

    /// A secret file is read whole, so a reference to something endless (`/dev/zero`) must stop somewhere.
    static let maximumFileSize = 64 << 10

    static func isReference(_ text: String) -> Bool {
        text.hasPrefix("credential:") || text.hasPrefix("file:") || text.hasPrefix("env:")
    }

    func resolve(_ text: String) -> Resolution {
        let value: Result<[UInt8], ConfigValueError>
        if let name = text.dropPrefix("credential:") {
            value = readCredential(String(name))
        } else if let path = text.dropPrefix("file:") {
            value = path.isEmpty ? .failure(ConfigValueError("names no file")) : readFile(FilePaths.absolute(String(path), against: configRoot))
        } else if let name = text.dropPrefix("env:") {
            value = environment[String(name)].map { .success(Array($0.utf8)) }
                ?? .failure(ConfigValueError("the environment variable \(name) is not set"))
        } else {
            return text.isEmpty ? .failed("the secret is empty") : .literal(Secret(reference: "<literal>", value: Array(text.utf8)))
        }
        switch value {
        case .success(let bytes) where bytes.isEmpty:
            return .failed("cannot use `\(text)`: the secret is empty")
        case .success(let bytes):
            return .resolved(Secret(reference: text, value: bytes))
        case .failure(let error):
            return .failed("cannot resolve `\(text)`: \(error.message)")
        }
    }

    private func readCredential(_ name: String) -> Result<[UInt8], ConfigValueError> {
        guard !name.isEmpty, !name.contains("/"), name != ".", name != ".." else {
            return .failure(ConfigValueError("a credential name must be a plain file name"))
        }
        guard let directory = environment["CREDENTIALS_DIRECTORY"], !directory.isEmpty else {
            return .failure(ConfigValueError("CREDENTIALS_DIRECTORY is not set (systemd sets it for LoadCredential=)"))
        }
        return readFile(directory + "/" + name)
    }

    private func readFile(_ path: String) -> Result<[UInt8], ConfigValueError> {
        guard let handle = FileHandle(forReadingAtPath: path) else {
            return .failure(ConfigValueError(FileManager.default.fileExists(atPath: path) ? "cannot read \(path)" : "no such file \(path)"))
        }
        defer { try? handle.close() }
        guard let data = try? handle.read(upToCount: Self.maximumFileSize + 1) ?? Data() else {
            return .failure(ConfigValueError("cannot read \(path)"))
        }
        guard data.count <= Self.maximumFileSize else {
            return .failure(ConfigValueError("\(path) is larger than 64 KiB"))
        }
        return .success(Self.droppingOneTrailingNewline(Array(data)))
    }

    /// Editors end a file with a newline that is not part of the secret; only one is dropped, so a
    /// secret that really ends in a newline can still be written (with two).
    static func droppingOneTrailingNewline(_ bytes: [UInt8]) -> [UInt8] {
        guard bytes.last == 0x0A else { return bytes }
        let withoutNewline = bytes.dropLast()
        return Array(withoutNewline.last == 0x0D ? withoutNewline.dropLast() : withoutNewline)
    }
}

extension String {
    fileprivate func dropPrefix(_ prefix: String) -> Substring? {
        hasPrefix(prefix) ? dropFirst(prefix.count) : nil
    }
}

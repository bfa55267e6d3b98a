extension TableReader {
    /// A secret-valued key (SPEC §3): a reference is resolved now, so a missing credential fails
    /// `check` and a reload instead of the first request; a literal is accepted with a warning.
    func secret(_ key: String, required: Bool = false, using resolver: SecretResolver) -> Secret? {
        guard let text = string(key, required: required, expected: "a secret reference string such as \"credential:NAME\"") else { return nil }
        return resolve(text, at: keyPath(key), using: resolver)
    }

    /// A list of secrets, such as the HMAC keys accepted during a rotation; nil when any one fails.
    func secrets(_ key: String, using resolver: SecretResolver) -> [Secret]? {
        guard let texts = strings(key) else { return nil }
        guard !texts.isEmpty else {
            log.error("`\(keyPath(key))` is empty: list at least one secret, or remove the key", at: keyPath(key))
            return nil
        }
        let secrets = texts.compactMap { resolve($0.value, at: $0.path, using: resolver) }
        return secrets.count == texts.count ? secrets : nil
    }

    func resolve(_ text: String, at path: KeyPath, using resolver: SecretResolver) -> Secret? {
        switch resolver.resolve(text) {
        case .resolved(let secret):
            return secret
        case .literal(let secret):
            log.warning("`\(path)` is a literal secret; write credential:NAME, file:PATH or env:NAME instead", at: path)
            return secret
        case .failed(let message):
            log.error("`\(path)`: \(message)", at: path)
            return nil
        }
    }
}

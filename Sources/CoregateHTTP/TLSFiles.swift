import NIOSSL

/// The certificate chain, its private key and, for mutual TLS, the CA that signs client
/// certificates: read from disk into a server TLS context.
///
/// Reading files blocks, so this runs at startup and on reload, never on an event loop.
public struct TLSFiles: Sendable {
    public var certificateChain: String
    public var privateKey: String
    public var clientCA: String?

    public init(certificateChain: String, privateKey: String, clientCA: String?) {
        self.certificateChain = certificateChain
        self.privateKey = privateKey
        self.clientCA = clientCA
    }

    /// Why the files cannot make a context, named by the config key at fault. The message never
    /// quotes a file's contents: the key file holds a secret.
    public struct Problem: Error, Sendable, Equatable {
        public var key: String
        public var message: String
    }

    public func makeContext() throws(Problem) -> NIOSSLContext {
        let chain = try certificates(in: certificateChain, key: "tls_cert")
        let key: NIOSSLPrivateKey
        do {
            key = try NIOSSLPrivateKey(file: privateKey, format: .pem)
        } catch {
            throw Problem(key: "tls_key", message: "\(privateKey) holds no usable PEM private key (an encrypted key is not supported)")
        }
        var configuration = TLSConfiguration.makeServerConfiguration(
            certificateChain: chain.map { .certificate($0) }, privateKey: .privateKey(key))
        configuration.minimumTLSVersion = .tlsv12
        if let clientCA {
            // Asked for, not required: only some tenants require a client certificate, and they
            // all share the socket. One that is sent must chain to client_ca, or the handshake
            // fails; each tenant then decides whether it needed one (ClientCertificateCheck).
            configuration.certificateVerification = .optionalVerification
            configuration.trustRoots = .certificates(try certificates(in: clientCA, key: "client_ca"))
            configuration.sendCANameList = true
        }
        do {
            return try NIOSSLContext(configuration: configuration)
        } catch {
            throw Problem(
                key: "tls_key", message: "cannot use the key in \(privateKey) with the certificate in \(certificateChain): is it that certificate's key?")
        }
    }

    private func certificates(in file: String, key: String) throws(Problem) -> [NIOSSLCertificate] {
        let certificates = try? NIOSSLCertificate.fromPEMFile(file)
        guard let certificates, !certificates.isEmpty else {
            throw Problem(key: key, message: "\(file) holds no PEM certificate")
        }
        return certificates
    }
}

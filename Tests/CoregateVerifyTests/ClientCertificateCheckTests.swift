import CoregateTenants
import CoregateVerify
import Testing

/// `client_cert` and its pins: the TLS layer lets a client without a certificate through, so the
/// tenant that needs one must refuse it here.
@Suite("client certificate check")
struct ClientCertificateCheckTests {
    static let pinned = ClientCertificateInfo(
        derEncoded: Array("pinned certificate".utf8),
        subject: DistinguishedName(attributes: [.init(type: "CN", value: "coreapp-1"), .init(type: "O", value: "ACME")]))
    static let other = ClientCertificateInfo(
        derEncoded: Array("another certificate".utf8),
        subject: DistinguishedName(attributes: [.init(type: "CN", value: "coreapp-2"), .init(type: "O", value: "ACME")]))

    func verify(_ rule: ClientCertificateRule, _ certificate: ClientCertificateInfo?, allowFrom: [CIDR] = []) throws -> Rejection? {
        var input = try request(from: "10.20.0.5")
        input.clientCertificate = certificate
        return Verifier(config: VerifyConfig(allowFrom: allowFrom, clientCertificate: rule)).verify(input).rejection
    }

    @Test("the fingerprint is the SHA-256 of the DER bytes")
    func fingerprint() {
        // printf 'pinned certificate' | sha256sum
        #expect(Self.pinned.sha256Fingerprint.prefix(4) == [0xf2, 0xbc, 0x2d, 0xed])
        #expect(Self.pinned.sha256Fingerprint.count == 32)
    }

    @Test("without pins, any certificate passes and none is refused")
    func anyCertificate() throws {
        #expect(try verify(ClientCertificateRule(), Self.other) == nil)
        #expect(try verify(ClientCertificateRule(), nil) == Rejection(.clientCertificate))
        #expect(Rejection(.clientCertificate).status == 401)
    }

    @Test("a fingerprint pin accepts that certificate only")
    func fingerprintPin() throws {
        let rule = ClientCertificateRule(sha256Fingerprints: [Self.pinned.sha256Fingerprint])
        #expect(try verify(rule, Self.pinned) == nil)
        #expect(try verify(rule, Self.other) == Rejection(.clientCertificate))
        #expect(try verify(rule, nil) == Rejection(.clientCertificate))
    }

    @Test("a subject pin must match every attribute, in order, exactly")
    func subjectPin() throws {
        let rule = ClientCertificateRule(subjects: [Self.pinned.subject])
        #expect(try verify(rule, Self.pinned) == nil)
        #expect(try verify(rule, Self.other) == Rejection(.clientCertificate))
        var shorter = Self.pinned
        shorter.subject.attributes.removeLast()
        var reordered = Self.pinned
        reordered.subject.attributes.reverse()
        var otherCase = Self.pinned
        otherCase.subject.attributes[0].value = "COREAPP-1"
        for certificate in [shorter, reordered, otherCase] {
            #expect(try verify(rule, certificate) == Rejection(.clientCertificate), "\(certificate.subject)")
        }
    }

    @Test("either kind of pin may match")
    func eitherPin() throws {
        let rule = ClientCertificateRule(sha256Fingerprints: [Self.other.sha256Fingerprint], subjects: [Self.pinned.subject])
        #expect(try verify(rule, Self.pinned) == nil)
        #expect(try verify(rule, Self.other) == nil)
    }

    @Test("a source that is not allowed is a 403 before the certificate is looked at")
    func sourceFirst() throws {
        #expect(try verify(ClientCertificateRule(), nil, allowFrom: [try cidr("192.0.2.0/24")]) == Rejection(.source))
    }

    @Test("the handshake also needs the certificate: it comes over the same connection as the webhooks")
    func handshake() throws {
        let verifier = Verifier(config: VerifyConfig(verifyToken: secret("verify-me"), clientCertificate: ClientCertificateRule()))
        var input = try request(query: "hub.mode=subscribe&hub.verify_token=verify-me&hub.challenge=42")
        #expect(verifier.answerHandshake(input) == .rejected(Rejection(.clientCertificate)))
        input.clientCertificate = Self.other
        #expect(verifier.answerHandshake(input) == .challenge("42"))
    }
}

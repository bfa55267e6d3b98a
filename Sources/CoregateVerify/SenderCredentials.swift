import CoregateTenants
import Crypto
import Foundation

/// The headers a well-configured sender adds so that a request passes a tenant's `[verify]`
/// table: the mirror image of `Verifier`, kept beside it so that `coregate send-test` signs
/// exactly what the checks expect, and the two cannot drift apart.
///
/// `allow_from` and client certificates are about where a request comes from, which no header
/// can change, and the path token belongs to the URL; both are the caller's business.
public enum SenderCredentials {
    /// Signed with the first `hmac_sha256` secret, the current one while a rotation is under way.
    public static func headers(for config: VerifyConfig, body: [UInt8]) -> [(name: String, value: String)] {
        var headers: [(name: String, value: String)] = []
        if let basic = config.basic {
            let pair = Data(Array("\(basic.user):".utf8) + basic.password.value)
            headers.append(("Authorization", "Basic " + pair.base64EncodedString()))
        }
        if let bearer = config.bearer {
            headers.append(("Authorization", "Bearer " + String(decoding: bearer.value, as: UTF8.self)))
        }
        if let secret = config.hmacSHA256.first {
            headers.append((config.hmacHeader, signature(of: body, secret: secret)))
        }
        return headers
    }

    /// `sha256=<hex>`, as the Cloud API writes `X-Hub-Signature-256`.
    static func signature(of body: [UInt8], secret: Secret) -> String {
        let mac = HMAC<SHA256>.authenticationCode(for: body, using: SymmetricKey(data: secret.value))
        return "sha256=" + mac.map { String(format: "%02x", $0) }.joined()
    }
}

import CoregateTenants
import Foundation

/// `basic`: HTTP Basic credentials (RFC 7617), `Authorization: Basic base64(user:password)`.
struct BasicCheck: Sendable {
    let credentials: BasicCredentials

    func passes(_ input: VerificationInput) -> Bool {
        var matched = false
        for encoded in input.authorizationCredentials(scheme: "Basic") {
            guard let decoded = Data(base64Encoded: String(encoded)).map(Array.init),
                  let colon = decoded.firstIndex(of: UInt8(ascii: ":"))
            else { continue }
            // Both halves are always compared, so the time taken does not tell a right user
            // name from a wrong one.
            let userMatches = constantTimeEquals(decoded[..<colon], Array(credentials.user.utf8))
            let passwordMatches = constantTimeEquals(decoded[(colon + 1)...], credentials.password.value)
            matched = matched || (userMatches && passwordMatches)
        }
        return matched
    }
}

/// `bearer`: a shared token (RFC 6750), `Authorization: Bearer <token>`.
struct BearerCheck: Sendable {
    let token: Secret

    func passes(_ input: VerificationInput) -> Bool {
        var matched = false
        for given in input.authorizationCredentials(scheme: "Bearer") {
            let equal = constantTimeEquals(Array(given.utf8), token.value)
            matched = matched || equal
        }
        return matched
    }
}

extension VerificationInput {
    /// What follows `scheme` in each `Authorization` header that uses it; the scheme is matched
    /// case-insensitively (RFC 9110 §11.1). A request may carry both a Basic and a Bearer header.
    fileprivate func authorizationCredentials(scheme: String) -> [Substring] {
        headerValues(named: "Authorization").compactMap { value in
            let value = value.trimmingOptionalWhitespace()
            guard let space = value.firstIndex(where: { $0 == " " || $0 == "\t" }),
                  value[..<space].lowercased() == scheme.lowercased()
            else { return nil }
            return value[space...].trimmingOptionalWhitespace()
        }
    }
}

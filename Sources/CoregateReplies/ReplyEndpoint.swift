import CoregateStore
import CoregateTenants

/// Where a stored action is sent (SPEC §10, WHATSAPP-WEBHOOKS §7.4): a Cloud tenant's Graph API
/// `POST <base_url>/<api_version>/<phone_number_id>/messages`; an on-premises tenant's Coreapp
/// `POST <base_url>/v1/messages`, or for mark-as-read `PUT <base_url>/v1/messages/<message id>`.
struct ReplyEndpoint: Equatable {
    enum Method: String { case post = "POST", put = "PUT" }

    var method: Method
    var url: String

    /// Why there is no endpoint, as the action's answer.
    struct Missing: Error, CustomStringConvertible {
        var description: String
    }

    init(_ request: ReplyRequest, sender: Sender, config: ReplyConfig) throws(Missing) {
        switch sender {
        case .cloud:
            guard let number = request.phoneNumberID else {
                throw Missing(description: "the event names no phone_number_id, so there is no Graph API URL to post to")
            }
            method = .post
            url = "\(config.baseURL)/\(config.apiVersion)/\(Self.segment(number))/messages"
        case .onPremises:
            if request.kind == .markRead, let message = request.messageID {
                method = .put
                url = "\(config.baseURL)/v1/messages/\(Self.segment(message))"
            } else {
                method = .post
                url = "\(config.baseURL)/v1/messages"
            }
        }
    }

    /// Ids come from the sender's webhook: one path segment, percent-encoded beyond the unreserved set.
    private static func segment(_ text: String) -> String {
        var encoded = ""
        for byte in text.utf8 {
            let unreserved = (0x30...0x39).contains(byte) || (0x41...0x5A).contains(byte) || (0x61...0x7A).contains(byte)
                || Array("-._~".utf8).contains(byte)
            encoded += unreserved
                ? String(UnicodeScalar(byte)) : "%" + (byte < 16 ? "0" : "") + String(byte, radix: 16, uppercase: true)
        }
        return encoded
    }
}

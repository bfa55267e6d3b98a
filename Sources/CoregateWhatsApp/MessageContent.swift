/// The kind-specific part of a normalized message: one key, named for what it holds, with the
/// same keys whatever the sender left out (`null` then), so a handler needs no Meta docs.
///
/// | kind | key | value |
/// | --- | --- | --- |
/// | text | `text` | the text itself |
/// | image, audio, voice, video, document, sticker | `media` | `{id, mime_type, sha256, caption, filename, url, voice, animated}` |
/// | location | `location` | `{latitude, longitude, name, address, url}`, coordinates as numbers |
/// | contacts | `contacts` | the shared contact cards, as sent |
/// | interactive | `interactive` | `{type, id, title, description}` of the button or list row chosen |
/// | button | `button` | `{payload, text}` of a template's quick-reply button |
/// | order | `order` | `{catalog_id, text, product_items: [{product_retailer_id, quantity, item_price, currency}]}` |
/// | reaction | `reaction` | `{message_id, emoji}`; `emoji` is null when a reaction is taken back |
/// | system | `system` | `{type, body, new_wa_id, new_user_id, identity}` |
/// | unsupported | `unsupported` | `{type, errors}`: the type WhatsApp could not show, and why |
/// | request_welcome | none | the event itself is the news |
/// | edit | `edit` | `{original_message_id, message}`, `message` being the new content as `{type, <its key>}` |
/// | revoke | `revoke` | `{original_message_id}` |
/// | unknown | `errors` | `[{code, title, details, href}]`: what the sender said about it, often nothing |
enum MessageContent {
    static func of(_ kind: MessageKind, in message: Fields) throws(DecodeError) -> JSONValue.Member? {
        switch kind {
        case .text: .init("text", .string(try message.requiredObject("text").requiredString("body")))
        case .image, .audio, .voice, .video, .document, .sticker:
            .init("media", .object(try media(message.requiredObject(kind.rawValue))))
        case .location: .init("location", .object(try location(message.requiredObject("location"))))
        case .contacts: .init("contacts", .array(try cards(message)))
        case .interactive: .init("interactive", .object(try interactive(message.requiredObject("interactive"))))
        case .button: .init("button", .object(try button(message.requiredObject("button"))))
        case .order: .init("order", .object(try order(message.requiredObject("order"))))
        case .reaction: .init("reaction", .object(try reaction(message.requiredObject("reaction"))))
        case .system: .init("system", .object(try system(message.requiredObject("system"))))
        case .unsupported: .init("unsupported", .object(try unsupported(message)))
        case .requestWelcome: nil
        case .edit: .init("edit", .object(try edit(message.requiredObject("edit"))))
        case .revoke: .init("revoke", .object(try revoke(message.requiredObject("revoke"))))
        case .unknown: .init("errors", try ErrorDetails.normalizedList(in: message))
        }
    }

    /// The `id` is what the sender's media endpoint serves the bytes by, so it is required. The
    /// Cloud API adds a `url` (since October 2025), `voice` on a voice note sent as audio and
    /// `animated` on stickers.
    static func media(_ media: Fields) throws(DecodeError) -> [JSONValue.Member] {
        [
            .init("id", .string(try media.requiredIdentifier("id"))),
            .init("mime_type", JSONValue(try media.string("mime_type"))),
            .init("sha256", JSONValue(try media.string("sha256"))),
            .init("caption", JSONValue(try media.string("caption"))),
            .init("filename", JSONValue(try media.string("filename"))),
            .init("url", JSONValue(try media.string("url"))),
            .init("voice", JSONValue(try media.bool("voice"))),
            .init("animated", JSONValue(try media.bool("animated"))),
        ]
    }

    private static func location(_ location: Fields) throws(DecodeError) -> [JSONValue.Member] {
        [
            .init("latitude", try location.requiredNumber("latitude")),
            .init("longitude", try location.requiredNumber("longitude")),
            .init("name", JSONValue(try location.string("name"))),
            .init("address", JSONValue(try location.string("address"))),
            .init("url", JSONValue(try location.string("url"))),
        ]
    }

    /// vCard-like cards are already readable; they are only checked to be objects.
    private static func cards(_ message: Fields) throws(DecodeError) -> [JSONValue] {
        guard let cards = try message.objects("contacts") else { throw message.missing("contacts") }
        return cards.map { .object($0.members) }
    }

    /// `button_reply` and `list_reply` keep the chosen row under a key named by `type`; other
    /// interactive replies (Flows' `nfm_reply`) have no id or title and are read from `raw`.
    private static func interactive(_ interactive: Fields) throws(DecodeError) -> [JSONValue.Member] {
        let type = try interactive.requiredString("type")
        let reply = try interactive.object(type)
        return [
            .init("type", .string(type)),
            .init("id", JSONValue(try reply?.string("id"))),
            .init("title", JSONValue(try reply?.string("title"))),
            .init("description", JSONValue(try reply?.string("description"))),
        ]
    }

    private static func button(_ button: Fields) throws(DecodeError) -> [JSONValue.Member] {
        [
            .init("payload", JSONValue(try button.string("payload"))),
            .init("text", JSONValue(try button.string("text"))),
        ]
    }

    /// Quantities and prices arrive as numbers from some senders and as strings from others;
    /// both become numbers, with the sender's digits.
    private static func order(_ order: Fields) throws(DecodeError) -> [JSONValue.Member] {
        var items: [JSONValue] = []
        for item in try order.objects("product_items") ?? [] {
            items.append(.object([
                .init("product_retailer_id", JSONValue(try item.string("product_retailer_id"))),
                .init("quantity", try item.number("quantity") ?? .null),
                .init("item_price", try item.number("item_price") ?? .null),
                .init("currency", JSONValue(try item.string("currency"))),
            ]))
        }
        return [
            .init("catalog_id", JSONValue(try order.string("catalog_id"))),
            .init("text", JSONValue(try order.string("text"))),
            .init("product_items", .array(items)),
        ]
    }

    private static func reaction(_ reaction: Fields) throws(DecodeError) -> [JSONValue.Member] {
        [
            .init("message_id", .string(try reaction.requiredIdentifier("message_id"))),
            .init("emoji", JSONValue(try reaction.string("emoji").flatMap { $0.isEmpty ? nil : $0 })),
        ]
    }

    /// On-Premises says `user_changed_number` with `new_wa_id`; the Cloud API says
    /// `customer_changed_number`, with the new number in `wa_id` from Graph v12 on. Both are
    /// `changed_number` here, and the identity changes likewise `identity_changed`. A user who
    /// changed their business-scoped user id (`user_changed_user_id`) has the new one in `user_id`.
    private static func system(_ system: Fields) throws(DecodeError) -> [JSONValue.Member] {
        let type: String? = switch try system.string("type") {
        case "user_changed_number", "customer_changed_number": "changed_number"
        case "user_identity_changed", "customer_identity_changed": "identity_changed"
        case let other: other
        }
        var newWAID = try system.identifier("new_wa_id")
        if newWAID == nil { newWAID = try system.identifier("wa_id") }
        return [
            .init("type", JSONValue(type)),
            .init("body", JSONValue(try system.string("body"))),
            .init("new_wa_id", JSONValue(newWAID)),
            .init("new_user_id", JSONValue(try system.identifier("user_id"))),
            .init("identity", JSONValue(try system.string("identity"))),
        ]
    }

    private static func unsupported(_ message: Fields) throws(DecodeError) -> [JSONValue.Member] {
        [
            .init("type", JSONValue(try message.object("unsupported")?.string("type"))),
            .init("errors", try ErrorDetails.normalizedList(in: message)),
        ]
    }

    /// The new content is a message of its own kind, normalized as that kind would be.
    private static func edit(_ edit: Fields) throws(DecodeError) -> [JSONValue.Member] {
        var content: [JSONValue.Member]?
        if let message = try edit.object("message") {
            let type = try message.requiredString("type")
            content = [.init("type", .string(type))]
            if let member = try of(MessageKind(rawValue: type) ?? .unknown, in: message) { content?.append(member) }
        }
        return [
            .init("original_message_id", .string(try edit.requiredIdentifier("original_message_id"))),
            .init("message", JSONValue(content)),
        ]
    }

    private static func revoke(_ revoke: Fields) throws(DecodeError) -> [JSONValue.Member] {
        [.init("original_message_id", .string(try revoke.requiredIdentifier("original_message_id")))]
    }
}

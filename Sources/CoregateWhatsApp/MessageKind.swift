/// The message kinds of SPEC §6, each an event type `message.<kind>`. The raw values are
/// Meta's `type` spellings; any other spelling (a type added later) is `unknown`.
enum MessageKind: String {
    case text, image, audio, voice, video, document, sticker, location, contacts
    case interactive, button, order, reaction, system, unknown
    /// The Cloud API's word for a message it could not show (error 131051).
    case unsupported
    /// A user opened a chat with the business for the first time.
    case requestWelcome = "request_welcome"
    /// A WhatsApp Business app user (coexistence) edited or deleted one of their messages.
    case edit, revoke
}

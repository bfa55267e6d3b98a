/// The message kinds of SPEC §6, each an event type `message.<kind>`. The raw values are
/// Meta's `type` spellings; any other spelling (`unsupported`, a type added later) is `unknown`.
enum MessageKind: String {
    case text, image, audio, voice, video, document, sticker, location, contacts
    case interactive, button, order, reaction, system, unknown
}

/// The two body shapes of SPEC §5, spelled as a tenant declares its sender and as an event
/// reports where it came from.
enum Source: String {
    /// A flat `{contacts, messages, statuses, errors}` object from a Coreapp.
    case onPremises = "on-premises"
    /// `{object: "whatsapp_business_account", entry: [{changes: [{value: {…}}]}]}`.
    case cloud

    var bodyName: String {
        switch self {
        case .onPremises: "an On-Premises notification"
        case .cloud: "a Cloud API envelope"
        }
    }
}

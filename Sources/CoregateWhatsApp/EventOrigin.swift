import CoregateTenants
import Foundation

/// What the events of one notification share and take from the request, not from the item.
struct EventOrigin {
    var tenant: String
    var source: Sender
    var phoneNumberID: String?
    var receivedAt: Date
}

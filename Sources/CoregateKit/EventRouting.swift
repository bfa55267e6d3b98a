import CoregateTenants
import CoregateWhatsApp
import Logging

/// Cloud API apps may share one path; each envelope change then belongs to the tenant that lists
/// its `phone_number_id`. A change that names no number (an `account_update`, say) concerns the
/// whole business account, so every tenant at the path gets it. With a single tenant at the path,
/// every event is that tenant's.
enum EventRouting {
    struct Result {
        var events: [Event]
        /// Entries for a number no tenant at this path owns: logged and counted, not a failed request.
        var unowned: Int
    }

    static func assign(_ events: [Event], to tenants: [Tenant], logger: Logger) -> Result {
        guard tenants.count > 1 else { return Result(events: events, unowned: 0) }
        var owners: [String: String] = [:]
        for tenant in tenants {
            for number in tenant.phoneNumberIDs { owners[number] = tenant.id }
        }
        var result = Result(events: [], unowned: 0)
        for var event in events {
            guard let number = event.phoneNumberID else {
                for tenant in tenants {
                    event.tenant = tenant.id
                    result.events.append(event)
                }
                continue
            }
            guard let owner = owners[number] else {
                result.unowned += 1
                logger.warning(
                    "no tenant owns this phone number id", metadata: ["phone_number_id": "\(number)", "event_id": "\(event.id)"])
                continue
            }
            event.tenant = owner
            result.events.append(event)
        }
        return result
    }
}

/// The checks that need every tenant at once: a route belongs to one tenant, except for Cloud
/// tenants allowed to share it, and a phone number id belongs to one tenant.
///
/// Each problem is reported in the later file (by tenant id) and names the earlier one, so the
/// operator sees both. Grouping by dictionary keeps this linear in the number of tenants.
enum TenantSetChecks {
    static func problems(in tenants: [ParsedTenant]) -> [ConfigProblem] {
        routeProblems(tenants) + phoneNumberProblems(tenants)
    }

    private static func routeProblems(_ tenants: [ParsedTenant]) -> [ConfigProblem] {
        var firstByRoute: [String: ParsedTenant] = [:]
        var problems: [ConfigProblem] = []
        for parsed in tenants {
            let tenant = parsed.tenant
            guard let first = firstByRoute[tenant.route] else {
                firstByRoute[tenant.route] = parsed
                continue
            }
            if let reason = whyCannotShare(first.tenant, tenant) {
                let key = parsed.locator.line(of: .root.appending("path")) == nil && tenant.pathToken != nil ? "path_token" : "path"
                problems.append(ConfigProblem(
                    file: tenant.file, line: parsed.locator.line(of: .root.appending(key)), keyPath: key,
                    message: "the route \(tenant.displayRoute) is also used by \(first.tenant.file); \(reason)"))
            }
        }
        return problems
    }

    /// SPEC §3: Cloud tenants may share a route when both list `phone_number_ids` (the envelope's
    /// entries are routed by them) and verify identically (one request is verified once for all).
    /// They must also deliver alike: one request gets one answer, and a `200` cannot mean "stored"
    /// for one tenant's events and "handled" for another's.
    private static func whyCannotShare(_ first: Tenant, _ second: Tenant) -> String? {
        if first.sender != .cloud || second.sender != .cloud {
            return "only cloud tenants may share a route"
        }
        if first.phoneNumberIDs.isEmpty || second.phoneNumberIDs.isEmpty {
            return "cloud tenants sharing a route must each list phone_number_ids"
        }
        if first.verify != second.verify {
            return "cloud tenants sharing a route must have identical [verify] tables"
        }
        if first.delivery.mode != second.delivery.mode {
            return "cloud tenants sharing a route must use the same [delivery] mode (\(first.delivery.mode.rawValue) there, \(second.delivery.mode.rawValue) here)"
        }
        return nil
    }

    private static func phoneNumberProblems(_ tenants: [ParsedTenant]) -> [ConfigProblem] {
        var owner: [String: Tenant] = [:]
        var problems: [ConfigProblem] = []
        for parsed in tenants {
            for (position, id) in parsed.tenant.phoneNumberIDs.enumerated() {
                guard let first = owner[id] else {
                    owner[id] = parsed.tenant
                    continue
                }
                let path = KeyPath.root.appending("phone_number_ids").appending(index: position)
                problems.append(ConfigProblem(
                    file: parsed.tenant.file, line: parsed.locator.line(of: path), keyPath: path.description,
                    message: "phone number id \(id) is already claimed by \(first.file)"))
            }
        }
        return problems
    }
}

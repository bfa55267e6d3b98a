import CoregateTenants

/// The whole environment of a handler process (SPEC §7). The dispatcher and `coregate run-handler`
/// both get it from here, so a handler run by hand sees exactly what the service gives it.
///
/// Nothing comes from the service's own environment: it holds the service's secrets and
/// settings, which are no business of a tenant's handler.
public enum HandlerEnvironment {
    /// Where a bare program name is looked up unless the handler's `env` sets its own `PATH`.
    public static let defaultPATH = "/usr/local/bin:/usr/bin:/bin"
    public static let defaultLANG = "C.UTF-8"

    /// `PATH` and `LANG` are defaults that the handler's `env` may replace (a virtualenv, a locale);
    /// the `COREGATE_*` and `CONTENT_*` variables describe the event and always win.
    public static func variables(for invocation: HandlerInvocation) -> [String: String] {
        var variables = worker(tenant: invocation.tenant, handler: invocation.handler, stateDirectory: invocation.stateDirectory)
        variables.merge([
            "COREGATE_EVENT_ID": invocation.eventID,
            "COREGATE_EVENT_TYPE": invocation.eventType,
            "COREGATE_ATTEMPT": String(invocation.attempt),
            "CONTENT_LENGTH": String(invocation.standardInput.count),
        ]) { _, coregate in coregate }
        return variables
    }

    /// A stream handler's worker (SPEC §7b): what every run of the handler shares, without the
    /// per-event variables, plus `COREGATE_PROTOCOL`.
    public static func streamWorker(tenant: String, handler: HandlerConfig, stateDirectory: String) -> [String: String] {
        var variables = worker(tenant: tenant, handler: handler, stateDirectory: stateDirectory)
        variables["COREGATE_PROTOCOL"] = "ndjson-v1"
        return variables
    }

    private static func worker(tenant: String, handler: HandlerConfig, stateDirectory: String) -> [String: String] {
        var variables = ["PATH": defaultPATH, "LANG": defaultLANG]
        variables.merge(handler.env) { _, configured in configured }
        variables.merge([
            "COREGATE_TENANT": tenant,
            "COREGATE_HANDLER": handler.name,
            "COREGATE_STATE_DIR": stateDirectory,
            "CONTENT_TYPE": "application/json",
        ]) { _, coregate in coregate }
        return variables
    }
}

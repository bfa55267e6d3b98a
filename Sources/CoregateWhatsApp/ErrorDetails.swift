/// The `{code, title, details, href}` of one WhatsApp error, in all three places errors appear:
/// error notifications, a failed status's `errors[]` and an unsupported message's `errors[]`.
/// Cloud API errors (Graph v16+) put the details in `error_data.details`; On-Premises ones in
/// `details`. Meta's titles vary in wording, so handlers should match on `code`.
enum ErrorDetails {
    static func normalized(_ error: Fields) throws(DecodeError) -> JSONValue {
        guard let code = try error.integer("code") else { throw error.missing("code") }
        var details = try error.string("details")
        if details == nil { details = try error.object("error_data")?.string("details") }
        return .object([
            .init("code", .number(String(code))),
            .init("title", JSONValue(try error.string("title"))),
            .init("details", JSONValue(details)),
            .init("href", JSONValue(try error.string("href"))),
        ])
    }

    static func normalizedList(in item: Fields) throws(DecodeError) -> JSONValue {
        var list: [JSONValue] = []
        for error in try item.objects("errors") ?? [] {
            list.append(try normalized(error))
        }
        return .array(list)
    }
}

import ArgumentParser
import CoregateKit

extension Coregate {
    struct Tenants: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List the tenants and their routes.")

        @OptionGroup var options: GlobalOptions

        func run() throws {
            let configuration = try options.loadConfiguration()
            for tenant in configuration.tenants {
                // The token is a secret: show where it goes, never what it is.
                let route = tenant.path + (tenant.pathToken == nil ? "" : "/<token>")
                let handlers = tenant.handlers.map(\.name).joined(separator: ",")
                print("\(tenant.id)\t\(tenant.sender.rawValue)\t\(route)\t\(tenant.delivery.mode.rawValue)\t\(handlers)")
            }
        }
    }
}

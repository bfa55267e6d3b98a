import ArgumentParser
import CoregateHTTP
import CoregateKit
import Foundation

extension Coregate {
    struct SendTest: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "send-test",
            abstract: "Post a realistic test webhook for a tenant to a running gateway.",
            discussion: """
                The body has the shape the tenant's sender posts (on-premises or cloud), with a fresh message id and \
                the current time, so it is never dropped as a redelivery. It carries the tenant's path token, \
                Basic or bearer credentials and HMAC signature (made with the first hmac_sha256 secret) as configured; \
                secrets are resolved as `coregate check` resolves them, and never printed.

                Exit status: 0 when the gateway answers 200, 1 otherwise.
                """)

        @OptionGroup var options: GlobalOptions

        @Argument(help: "The tenant id.")
        var tenant: String

        @Option(help: ArgumentHelp(
            "The event type to send: \(TestWebhook.types.joined(separator: ", ")); for cloud tenants also "
                + "\(TestWebhook.cloudTypes.joined(separator: ", ")).", valueName: "type"))
        var type = "message.text"

        @Flag(help: "Send as a customer known only by a username, without a phone number (cloud tenants).")
        var username = false

        @Option(help: "The text of a message.text webhook.")
        var text: String?

        @Option(help: "The gateway's base URL (default: the first listen address, else http://127.0.0.1:8080).")
        var url: String?

        func run() async throws {
            let configuration = try options.loadConfiguration()
            let request: TestDelivery
            do {
                request = try TestDelivery(
                    configuration: configuration, tenant: tenant, type: type, usernameOnly: username, text: text, url: url)
            } catch {
                printError("coregate send-test: \(error)")
                throw ExitCode.failure
            }
            print("POST \(request.displayURL) (\(type), \(request.tenant.sender.rawValue), \(request.credentialsDescription))")
            let response: OneShotHTTPClient.Response
            do {
                response = try await request.send()
            } catch {
                printError("coregate send-test: no answer from \(request.displayURL): \(error)")
                throw ExitCode.failure
            }
            print("\(response.status) \(String(decoding: response.body, as: UTF8.self))")
            guard response.status == 200 else { throw ExitCode.failure }
        }
    }
}

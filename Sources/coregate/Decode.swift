import ArgumentParser
import CoregateTenants
import CoregateWhatsApp
import Foundation

/// `coregate decode`: shows what handlers would be given for a webhook body, without a server.
struct Decode: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Decode a webhook body into events, one JSON object per line, as handlers read them.",
        discussion: """
            Exits 1 with the reason on stderr when the body is not a WhatsApp webhook (the service answers 400). \
            An item that cannot be decoded inside a body that can is printed as the service stores it: an event \
            with a null body, the item in raw and the reason in decode_error.
            """)

    @Option(help: ArgumentHelp("The sender the tenant declares; without it, either shape is taken.", valueName: "on-premises|cloud"))
    var sender: Sender?

    @Option(help: "The tenant id written into each event.")
    var tenant = "local"

    @Argument(help: ArgumentHelp("The body to decode; - reads standard input.", valueName: "file"))
    var file: String

    func run() async throws {
        let body = try readBody()
        let events: [Event]
        do {
            events = try WebhookDecoder.decode(body, sender: sender, tenant: tenant, receivedAt: Date())
        } catch {
            FileHandle.standardError.write(Data("coregate decode: \(error.message)\n".utf8))
            throw ExitCode.failure
        }
        var output: [UInt8] = []
        for event in events {
            output += event.jsonLine()
            output.append(UInt8(ascii: "\n"))
        }
        FileHandle.standardOutput.write(Data(output))
    }

    private func readBody() throws -> [UInt8] {
        if file == "-" { return Array(FileHandle.standardInput.readDataToEndOfFile()) }
        guard let data = FileManager.default.contents(atPath: file) else {
            FileHandle.standardError.write(Data("coregate decode: cannot read \(file)\n".utf8))
            throw ExitCode(66)  // EX_NOINPUT, apart from 1, which means the body was refused
        }
        return Array(data)
    }
}

extension Sender: ExpressibleByArgument {}

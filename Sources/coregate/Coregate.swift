import ArgumentParser

@main
struct Coregate: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "A multi-tenant webhook gateway for WhatsApp Business numbers.",
        subcommands: [
            Serve.self, Check.self, Tenants.self, Events.self, Replay.self, Purge.self, Stats.self, Decode.self,
            RunHandler.self, SendTest.self,
        ])
}

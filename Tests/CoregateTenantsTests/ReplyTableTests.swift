import Foundation
import Testing

@testable import CoregateTenants

/// The `[reply]` table: defaults that send to the Graph API, and each mistake at the line to fix.
@Suite("reply table")
struct ReplyTableTests {
    static func load(sender: String, reply: String) throws -> (Configuration?, [ConfigProblem]) {
        let folder = try ConfigFolder()
        try folder.tenant("acme", "sender = \"\(sender)\"\n[reply]\n" + reply)
        return folder.load(environment: ["GRAPH_TOKEN": "secret-token"])
    }

    @Test("a Cloud tenant needs only a token: the Graph API, v26.0, and the other defaults")
    func cloudDefaults() throws {
        let (configuration, problems) = try Self.load(sender: "cloud", reply: "token = \"env:GRAPH_TOKEN\"\n")
        #expect(problems.errors == [])
        let reply = try #require(configuration?.tenants.first?.reply)
        #expect(reply.token.value == Array("secret-token".utf8))
        #expect(reply.baseURL == "https://graph.facebook.com" && reply.apiVersion == "v26.0")
        #expect(reply.timeout == .seconds(10) && reply.maxAttempts == 8 && reply.messagesPerSecond == 20)
    }

    @Test("every key is read; a trailing slash of base_url is dropped")
    func everyKey() throws {
        let (configuration, problems) = try Self.load(sender: "on-premises", reply: """
            token = "env:GRAPH_TOKEN"
            base_url = "https://10.20.0.5:9090/"
            api_version = "v25.0"
            timeout = "3s"
            max_attempts = 4
            backoff_initial = "2s"
            backoff_max = "1m"
            messages_per_second = 5
            """)
        #expect(problems.errors == [])
        let reply = try #require(configuration?.tenants.first?.reply)
        #expect(reply.baseURL == "https://10.20.0.5:9090" && reply.apiVersion == "v25.0")
        #expect(reply.timeout == .seconds(3) && reply.maxAttempts == 4 && reply.messagesPerSecond == 5)
        #expect(reply.backoffInitial == .seconds(2) && reply.backoffMax == .seconds(60))
    }

    @Test("each mistake is an error at its line", arguments: [
        ("cloud", "token = \"env:NOT_SET\"\n", 3, "token"),
        ("cloud", "token = \"env:GRAPH_TOKEN\"\napi_version = \"26.0\"\n", 4, "api_version"),
        ("cloud", "token = \"env:GRAPH_TOKEN\"\nbase_url = \"graph.facebook.com\"\n", 4, "base_url"),
        ("on-premises", "token = \"env:GRAPH_TOKEN\"\n", 2, "base_url"),
        ("cloud", "token = \"env:GRAPH_TOKEN\"\nbackoff_initial = \"1m\"\nbackoff_max = \"1s\"\n", 5, "backoff_max"),
        ("cloud", "token = \"env:GRAPH_TOKEN\"\nretries = 3\n", 4, "retries"),
    ])
    func mistakes(sender: String, reply: String, line: Int, word: String) throws {
        let (configuration, problems) = try Self.load(sender: sender, reply: reply)
        #expect(configuration == nil)
        let error = try #require(problems.errors.first)
        #expect(error.place == "acme.toml:\(line)")
        #expect(error.message.contains(word))
    }
}

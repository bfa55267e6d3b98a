import Foundation
import Testing

@testable import CoregateTenants

/// A reload re-reads every tenant, so 1,000 of them must all load and route. How long that takes
/// is Benchmarks/startup.py's business: a wall-clock bound here would fail on a loaded machine.
@Suite("many tenants")
struct LargeLoadTests {
    @Test("1,000 tenant files load, each with its own token route")
    func thousandTenants() throws {
        // Given 1,000 tenants, each with secrets, verification and two handlers
        let folder = try ConfigFolder()
        var environment: [String: String] = [:]
        for number in 0..<1000 {
            let id = String(format: "tenant-%04d", number)
            environment["TOKEN_\(number)"] = String(format: "token-%04d-0123456789abcdef", number)
            try folder.write("secrets/\(id)-hmac", "hmac-\(number)\n")
            try folder.tenant(id, """
                sender = "cloud"
                description = "tenant \(number)"
                path = "/webhooks/shared-base"
                path_token = "env:TOKEN_\(number)"
                phone_number_ids = ["\(1_000_000 + number)"]

                [verify]
                hmac_sha256 = ["file:secrets/\(id)-hmac"]
                allow_from = ["10.0.0.0/8", "2001:db8::/32"]

                [delivery]
                max_attempts = 5

                [[handlers]]
                name = "bot"
                events = ["message.*"]
                command = ["/bin/true", "--tenant", "\(id)"]
                timeout = "10s"
                env = { URL = "https://example.test/\(number)" }

                [[handlers]]
                name = "receipts"
                events = ["status.*"]
                command = ["/bin/true"]
                """)
        }

        // When they are loaded
        let (configuration, problems) = folder.load(environment: environment)

        // Then all of them are there and routable
        #expect(problems == [])
        let loaded = try #require(configuration)
        #expect(loaded.tenants.count == 1000)
        #expect(loaded.routes.tenants(forPath: "/webhooks/shared-base/token-0999-0123456789abcdef").map(\.id) == ["tenant-0999"])
        #expect(loaded.routes.tenants(forPath: "/webhooks/shared-base/token-1000-0123456789abcdef").isEmpty)
    }
}

import CoregateDelivery
import Foundation
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// Handlers run as their tenant's own uid (`handler_uids`). Real ids are set, so these tests need
/// root, as CI and the systemd tests have; they fail rather than skip elsewhere.
@Suite("Tenant identities")
struct TenantIdentityTests {
    static let uids: ClosedRange<uid_t> = 810_000...810_099

    private func rootSandbox() throws -> HandlerSandbox {
        try #require(geteuid() == 0, "setting a handler's uid needs root: run the unit tests as root")
        return try HandlerSandbox()
    }

    private func owner(_ path: String) -> (uid: uid_t, gid: gid_t, mode: mode_t) {
        var status = stat()
        lstat(path, &status)
        return (status.st_uid, status.st_gid, status.st_mode & 0o7777)
    }

    @Test("a handler runs as its tenant's uid and gid, with no other groups, no capabilities and default signals")
    func handlerRunsAsTheTenant() async throws {
        let sandbox = try rootSandbox()
        let handler = try sandbox.file("who.sh", """
            #!/bin/sh
            echo "ids $(id -u) $(id -g) $(id -G)"
            grep -E '^(Cap(Inh|Prm|Eff|Amb)|SigIgn|SigBlk):' /proc/self/status
            cat > "$COREGATE_STATE_DIR/event.json"
            """)
        let result = await sandbox.runner(identities: TenantIdentities(uids: Self.uids)).run(sandbox.invocation([handler]))

        #expect(result.outcome == .succeeded)
        let lines = String(decoding: result.standardOutput, as: UTF8.self).split(separator: "\n").map(String.init)
        #expect(lines.first == "ids 810000 810000 810000")
        // The service ignores SIGPIPE and holds CAP_SETUID; the handler gets neither.
        for line in lines.dropFirst() {
            #expect(line.hasSuffix("\t0000000000000000"), "\(line)")
        }
        #expect(lines.count == 7)
        let folder = owner(sandbox.stateDirectory)
        #expect(folder.uid == 810_000 && folder.gid == 810_000 && folder.mode == 0o700)
        #expect(owner(sandbox.stateDirectory + "/event.json").uid == 810_000, "the handler wrote its own folder")
        #expect(owner(sandbox.folder + "/state/tenants").mode == 0o711, "handlers pass through the tenants' folder, and list nothing")
    }

    @Test("the handler gets its stdin, and no descriptor but 0, 1 and 2")
    func pipesAndNothingElse() async throws {
        let sandbox = try rootSandbox()
        let handler = try sandbox.file("fds.py", """
            #!/usr/bin/env python3
            import os, sys
            sys.stdout.write(sys.stdin.read())
            print(sorted(int(fd) for fd in os.listdir("/proc/self/fd")))
            """)
        let result = await sandbox.runner(identities: TenantIdentities(uids: Self.uids)).run(
            sandbox.invocation([handler], eventJSON: Array(#"{"id":"x"}"#.utf8)))
        #expect(result.outcome == .succeeded)
        // 3 is listdir's own descriptor.
        #expect(String(decoding: result.standardOutput, as: UTF8.self) == "{\"id\":\"x\"}\n[0, 1, 2, 3]\n")
    }

    @Test("two tenants get two uids, each its folder, and a tenant keeps its uid after a restart")
    func oneUIDPerTenantKeptAcrossRestarts() throws {
        let sandbox = try rootSandbox()
        let first = TenantIdentities(uids: Self.uids)
        let acme = try first.prepare(stateDirectory: sandbox.stateDirectory(of: "acme")).get()
        let globex = try first.prepare(stateDirectory: sandbox.stateDirectory(of: "globex")).get()
        #expect(acme != globex)
        #expect(owner(sandbox.stateDirectory(of: "globex")).uid == globex.uid)

        let restarted = TenantIdentities(uids: Self.uids)
        #expect(try restarted.prepare(stateDirectory: sandbox.stateDirectory(of: "globex")).get() == globex)
        #expect(try restarted.prepare(stateDirectory: sandbox.stateDirectory(of: "acme")).get() == acme)
        let initech = try restarted.prepare(stateDirectory: sandbox.stateDirectory(of: "initech")).get()
        #expect(![acme, globex].contains(initech))
    }

    @Test("a uid the system knows as a user is skipped")
    func systemUsersAreSkipped() throws {
        let sandbox = try rootSandbox()
        let nobody = try #require(getpwnam("nobody")).pointee.pw_uid
        let identity = try TenantIdentities(uids: nobody...(nobody + 5)).prepare(stateDirectory: sandbox.stateDirectory).get()
        #expect(identity.uid > nobody)
    }

    @Test("when every uid of the range is taken, the handler cannot start, and says why")
    func fullRange() async throws {
        let sandbox = try rootSandbox()
        let identities = TenantIdentities(uids: 810_200...810_200)
        _ = try identities.prepare(stateDirectory: sandbox.stateDirectory(of: "globex")).get()
        let result = await sandbox.runner(identities: identities).run(sandbox.invocation(["/bin/true"]))
        #expect(result.outcome == .couldNotStart(reason: "no free uid left in handler_uids 810200-810200 for \(sandbox.stateDirectory)"))
    }

    @Test("a folder the service made before is handed over with its content, without following links")
    func existingFolderIsHandedOver() throws {
        let sandbox = try rootSandbox()
        let outside = try sandbox.file("outside.txt", "the service's own\n", mode: 0o600)
        try sandbox.file("state/tenants/acme/seen.txt", "1\n", mode: 0o644)
        try sandbox.file("state/tenants/acme/cache/entry", "2\n", mode: 0o644)
        try FileManager.default.createSymbolicLink(atPath: sandbox.stateDirectory + "/link", withDestinationPath: outside)

        let identity = try TenantIdentities(uids: Self.uids).prepare(stateDirectory: sandbox.stateDirectory).get()

        for path in ["", "/seen.txt", "/cache", "/cache/entry", "/link"] {
            #expect(owner(sandbox.stateDirectory + path).uid == identity.uid, "\(path)")
        }
        #expect(owner(sandbox.stateDirectory).mode == 0o700)
        #expect(owner(outside).uid == 0, "the link's target stays the service's")
    }

    @Test("a handler of another uid is still stopped at its timeout")
    func timeoutStopsAnIsolatedHandler() async throws {
        let sandbox = try rootSandbox()
        let marker = uniqueMarker()
        let handler = try sandbox.file("hang.sh", """
            #!/bin/sh
            perl -e 'sleep 300' \(marker) &
            sleep 301
            """)
        let result = await sandbox.runner(identities: TenantIdentities(uids: Self.uids)).run(
            sandbox.invocation([handler], timeout: .milliseconds(300)))
        #expect(result.outcome == .timedOut)
        #expect(await survivingProcesses(withArgument: marker) == [])
    }

    @Test("a program the tenant may not execute could not start, and says so")
    func spawnFailureIsReported() async throws {
        let sandbox = try rootSandbox()
        let handler = try sandbox.file("private.sh", "#!/bin/sh\necho never\n", mode: 0o700)
        let result = await sandbox.runner(identities: TenantIdentities(uids: Self.uids)).run(sandbox.invocation([handler]))
        guard case .couldNotStart(let reason) = result.outcome else {
            Issue.record("expected couldNotStart, got \(result.outcome)")
            return
        }
        #expect(reason.contains("Permission denied"), "\(reason)")
    }
}

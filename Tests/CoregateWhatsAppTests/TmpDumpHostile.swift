import Foundation
import Testing
@Test func tmpDumpHostile() throws {
    try FileManager.default.createDirectory(atPath: "/tmp/h-decoder-swiftgen", withIntermediateDirectories: true)
    for hostile in HostileBody.all {
        try Data(hostile.make()).write(to: URL(fileURLWithPath: "/tmp/h-decoder-swiftgen/" + hostile.name))
    }
}

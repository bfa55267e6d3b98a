import CoregateTenants
@testable import CoregateWhatsApp
import Foundation

/// libFuzzer calls this with each input. Besides "never crash", it checks what the gateway relies
/// on, so a logic slip becomes a crash the fuzzer can report:
/// - a refusal is one short line of printable text (it goes into a 400 body);
/// - decoding is deterministic, so a redelivery gets the same ids;
/// - every event's line is one line of valid JSON that reads back to the same text, and its id
///   is printable ASCII (it becomes an environment variable and a key in the store).
@_cdecl("LLVMFuzzerTestOneInput")
public func decoderFuzz(_ start: UnsafeRawPointer, _ count: Int) -> CInt {
    let body = Array(UnsafeRawBufferPointer(start: start, count: count))
    let receivedAt = Date(timeIntervalSince1970: 1_718_400_000)
    for sender in [nil] + Sender.allCases.map(Optional.some) {
        let events: [Event]
        do {
            events = try WebhookDecoder.decode(body, sender: sender, tenant: "fuzz", receivedAt: receivedAt)
        } catch {
            precondition(error.message.unicodeScalars.allSatisfy { $0.value >= 0x20 && $0.value != 0x7F }, "refusal not one printable line")
            precondition(error.message.count < 300, "refusal too long")
            continue
        }
        let again = try! WebhookDecoder.decode(body, sender: sender, tenant: "fuzz", receivedAt: receivedAt)
        precondition(again == events, "decoding is not deterministic")
        for event in events {
            precondition(event.id.utf8.allSatisfy { (0x21...0x7E).contains($0) }, "id not printable ASCII")
            let line = event.jsonLine()
            precondition(!line.contains(UInt8(ascii: "\n")) && !line.contains(0), "line break or NUL in a line")
            var rewritten = JSONWriter()
            rewritten.write(try! JSONParser.parse(line))
            precondition(rewritten.bytes == line, "line does not read back to itself")
        }
    }
    return 0
}

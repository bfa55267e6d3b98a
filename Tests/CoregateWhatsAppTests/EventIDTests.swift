import CoregateTenants
@testable import CoregateWhatsApp
import Foundation
import Testing

@Suite("Stable ids")
struct EventIDTests {
    @Test("a redelivered body gets the same ids, whenever it arrives", arguments: FixtureExpectation.all.map(\.file))
    func redelivery(_ file: String) throws {
        let body = try Fixtures.body(file)
        let sender = Fixtures.sender(of: file)
        let first = try WebhookDecoder.decode(body, sender: sender, tenant: "acme", receivedAt: Date(timeIntervalSince1970: 1_718_400_000))
        let again = try WebhookDecoder.decode(body, sender: sender, tenant: "acme", receivedAt: Date(timeIntervalSince1970: 1_718_486_400))
        #expect(first.map(\.id) == again.map(\.id))
        #expect(Set(first.map(\.id)).count == first.count, "ids within one body are distinct")
    }

    @Test("an item gets the same id alone or in another batch, at another position")
    func batchIndependence() throws {
        let text = #"{"from":"15550100777","id":"ABEGbatch1","timestamp":"1718379000","type":"text","text":{"body":"a"}}"#
        let other = #"{"from":"447700900456","id":"ABEGbatch2","timestamp":"1718379001","type":"text","text":{"body":"b"}}"#
        let status = #"{"id":"gBEGst","recipient_id":"15550100777","status":"read","timestamp":"1718379002"}"#
        let error = #"{"code":400,"title":"Media download error"}"#
        let alone = try decode(#"{"messages":[\#(text)],"statuses":[\#(status)],"errors":[\#(error)]}"#)
        let batched = try decode(#"{"errors":[\#(error)],"statuses":[\#(status)],"messages":[\#(other),\#(text)]}"#)
        #expect(Set(alone.map(\.id)).isSubset(of: Set(batched.map(\.id))))
        #expect(alone.map(\.id) == ["msg:ABEGbatch1", "status:gBEGst:read", batched.last!.id])
    }

    @Test("each status of one message is its own event")
    func statusesOfOneMessage() throws {
        let events = try Fixtures.body("onprem-status-batch-out-of-order.json")
        let ids = try WebhookDecoder.decode(events, sender: .onPremises, tenant: "acme", receivedAt: Date()).map(\.id)
        #expect(ids == ["status:gBEGFVVQAQd3AgkyJkMZDI_AJYw:read", "status:gBEGFVVQAQd3AgkyJkMZDI_AJYw:sent",
                        "status:gBEGFVVQAQd3AgkxMEETys3jzG7:delivered"])
    }

    @Test("a deleted status and the message it deleted get different ids")
    func deletedStatusVersusMessage() throws {
        let message = try WebhookDecoder.decode(try Fixtures.body("onprem-inbound-text.json"), sender: .onPremises, tenant: "acme", receivedAt: Date())
        let deleted = try WebhookDecoder.decode(try Fixtures.body("onprem-status-deleted.json"), sender: .onPremises, tenant: "acme", receivedAt: Date())
        #expect(message.first?.itemBody?["id"] == deleted.first?.itemBody?["id"])
        #expect(message.first?.id != deleted.first?.id)
    }

    @Test("an error's id does not depend on key order or spacing, only on its content")
    func errorHashIsCanonical() throws {
        let one = try decode(#"{"errors":[{"code":400,"title":"Media download error","details":"x"}]}"#)
        let reordered = try decode(#"{ "errors" : [ { "details" : "x", "title" : "Media download error", "code" : 400 } ] }"#)
        let different = try decode(#"{"errors":[{"code":400,"title":"Media download error","details":"y"}]}"#)
        #expect(one.first?.id == reordered.first?.id)
        #expect(one.first?.id != different.first?.id)
        #expect(one.first?.id.hasPrefix("error:") == true)
        #expect(one.first?.id.count == "error:".count + 64)
    }

    @Test("the same error in an On-Premises body and a Cloud envelope has the same id")
    func errorAcrossSources() throws {
        let error = #"{"code":131000,"title":"Something went wrong","error_data":{"details":"later"}}"#
        let onPremises = try decode(#"{"errors":[\#(error)]}"#)
        let cloud = try decode(cloudBody(value: #""errors":[\#(error)]"#))
        #expect(onPremises.first?.id == cloud.first?.id)
    }

    @Test("a field change's id covers the entry's id and time, and not key order or spacing")
    func fieldIDs() throws {
        func body(_ entry: String, _ time: Int, _ value: String) -> String {
            #"{"object":"whatsapp_business_account","entry":[{"id":"\#(entry)","time":\#(time),"changes":[{"field":"account_update","value":\#(value)}]}]}"#
        }
        let value = #"{"event":"VERIFIED_ACCOUNT","phone_number":"15550100200"}"#
        let first = try decode(body("219875432100987", 1_739_321_024, value))
        let reordered = try decode(body("219875432100987", 1_739_321_024, #"{ "phone_number": "15550100200", "event": "VERIFIED_ACCOUNT" }"#))
        let later = try decode(body("219875432100987", 1_739_329_999, value))
        let otherAccount = try decode(body("219875432100988", 1_739_321_024, value))
        #expect(first.map(\.id) == reordered.map(\.id))
        #expect(first[0].id.hasPrefix("field:account_update:"))
        #expect(Set([first[0].id, later[0].id, otherAccount[0].id]).count == 3)
    }
}

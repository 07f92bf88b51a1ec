import Foundation
import Testing
@testable import RampartManager
import RampartHTTP

/// The manager's hand-written text formats (no Foundation formatter, so no ICU in the image):
/// RFC 3339 times, query decoding, the log line and the credential file.
@Suite struct ManagerTextTests {
    @Test func readsRFC3339AsISO8601DateFormatterDid() {
        #expect(ManagerAPI.time("2026-11-23T14:02:00Z") == 1_795_442_520)
        #expect(ManagerAPI.time("2026-11-23T14:02:00.5Z") == 1_795_442_520.5)
        // Kept to the millisecond, the rest dropped.
        #expect(ManagerAPI.time("2026-11-23T14:02:00.123456Z") == 1_795_442_520.123)
        #expect(ManagerAPI.time("2026-11-23T14:02:00+01:00") == 1_795_438_920)
        #expect(ManagerAPI.time("2026-11-23T14:02:00+0100") == 1_795_438_920)
        #expect(ManagerAPI.time("2026-11-23T14:02:00+01") == 1_795_438_920)
        #expect(ManagerAPI.time("2026-11-23T14:02:00.25-05:30") == 1_795_462_320.25)
        #expect(ManagerAPI.time("2026-02-30T14:02:00Z") == 1_772_460_120, "a day past the month's end rolls over")
        #expect(ManagerAPI.time("1795442520") == 1_795_442_520)
        #expect(ManagerAPI.time("1795442520.5") == 1_795_442_520.5)
    }

    @Test func refusesWhatIsNotRFC3339() {
        for text in [
            "2026-11-23t14:02:00z", "2026-11-23 14:02:00Z", "2026-11-23T14:02Z", "2026-11-23", "2026-11-23T14:02:00",
            "2026-11-23T14:02:00.Z", "2026-11-23T25:02:00Z", "2026-11-23T14:60:00Z", "2026-11-23T14:02:60Z", "2026-13-01T14:02:00Z",
            "garbage", "", "20261123T140200Z",
            // Stricter than ISO8601DateFormatter, which took these:
            "2026-11-23T14:02:00.123Zjunk", " 2026-11-23T14:02:00Z", "2026-1-23T14:02:00Z", "2026-11-23T14:02:00+25:00",
            "2026-11-23T14:02:00+01:75", "2026-11-23T24:00:00Z",
        ] {
            #expect(ManagerAPI.time(text) == nil, "\(text)")
        }
    }

    @Test func writesUTCWithRoundedMilliseconds() {
        #expect(ManagerAPI.format(0) == "1970-01-01T00:00:00.000Z")
        #expect(ManagerAPI.format(1_795_010_520.123) == "2026-11-18T14:02:00.123Z")
        #expect(ManagerAPI.format(1_795_010_520.9999) == "2026-11-18T14:02:01.000Z")
        #expect(ManagerAPI.format(-1.5) == "1969-12-31T23:59:58.500Z")
        #expect(ManagerAPI.format(951_782_400) == "2000-02-29T00:00:00.000Z")
        for time in stride(from: -3e9, through: 4e9, by: 86_399.123) {
            let text = ManagerAPI.format(time)
            #expect(abs((ManagerAPI.time(text) ?? .nan) - time) <= 0.0005 + 1e-6, "\(text)")
        }
    }

    @Test func decodesQueriesAsRemovingPercentEncodingDid() {
        #expect(HTTPRequestHead.percentDecoded("10.244.1.7") == "10.244.1.7")
        #expect(HTTPRequestHead.percentDecoded("2026-11-23T14%3A02%3A00%2B01%3A00") == "2026-11-23T14:02:00+01:00")
        #expect(HTTPRequestHead.percentDecoded("caf%C3%A9") == "café")
        #expect(HTTPRequestHead.percentDecoded("%zz") == nil)
        #expect(HTTPRequestHead.percentDecoded("50%") == nil)
        #expect(HTTPRequestHead.percentDecoded("%C3") == nil, "not UTF-8")
    }

    @Test func logLinesAreCompactJSONInTheSharedShape() throws {
        let line = ManagerLog.line("info", cluster: "prod", event: "synced", message: "pod shop/web-0 \"added\"")
        #expect(line.hasPrefix("{\"time\":\""))
        #expect(line.hasSuffix("\"level\":\"info\",\"component\":\"rampart-manager\",\"event\":\"synced\",\"message\":\"pod shop/web-0 \\\"added\\\"\",\"cluster\":\"prod\"}"), "\(line)")
        let object = try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: String]
        #expect(object?["message"] == "pod shop/web-0 \"added\"")
        #expect(ManagerLog.line(for: .failed(resource: "pods", error: .transport(url: "u", detail: "refused"), retryIn: 2.25), cluster: "c").contains("retrying in 2.2 s"))
    }
}

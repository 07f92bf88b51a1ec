import RampartJSON
import RampartLog
import Testing

@Suite("Log lines")
struct LogLineTests {
    @Test func aLineIsOneJSONObjectInTheSharedOrder() throws {
        let line = LogLine.render(.warning, event: "tunnel-source-refused", message: "refused 3 \"datagrams\"\nfrom 10.0.0.9",
                                  component: "rampart-firewall", fields: [("count", .integer(3))], time: "2026-12-04T07:00:00.000Z")
        #expect(line == #"{"time":"2026-12-04T07:00:00.000Z","level":"warning","component":"rampart-firewall","event":"tunnel-source-refused","message":"refused 3 \"datagrams\"\nfrom 10.0.0.9","count":3}"#)
        #expect(!line.contains("\n"), "one line, whatever the message holds")
        let parsed = try JSONValue.parse(line)
        #expect(parsed["message"]?.stringValue == "refused 3 \"datagrams\"\nfrom 10.0.0.9")
        #expect(parsed["count"]?.integer(Int.self, in: 0 ... 10) == 3)
    }

    @Test func timesAreUTCWithMilliseconds() {
        #expect(LogLine.format(seconds: 0, milliseconds: 7) == "1970-01-01T00:00:00.007Z")
        #expect(LogLine.format(seconds: 1_796_367_600, milliseconds: 123) == "2026-12-04T07:00:00.123Z")
        let now = LogLine.now()
        #expect(now.count == 24 && now.hasSuffix("Z") && now.hasPrefix("20"))
    }

    @Test func noMessageLeavesTheKeyOut() {
        let line = LogLine.render(.info, event: "push-recovered", message: nil, fields: [("firewall", .string("fw-1"))], time: "t")
        #expect(line == #"{"time":"t","level":"info","event":"push-recovered","firewall":"fw-1"}"#)
    }
}

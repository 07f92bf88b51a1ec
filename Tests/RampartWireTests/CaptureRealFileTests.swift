import Foundation
import Testing
@testable import RampartWire

/// Reads the captures made by scripts/make-captures.sh from real programs' traffic
/// (see Tests/Captures/README.md).
@Suite("Capture files: real captures")
struct CaptureRealFileTests {
    static func load(_ path: String) throws -> [UInt8] {
        let data = try #require(FileManager.default.contents(atPath: path), "missing \(path)")
        return [UInt8](data)
    }

    static let focused = ["http", "dns", "tls", "icmp", "udp", "rst", "fragments", "ipv6", "iperf"]

    @Test(arguments: focused)
    func focusedCaptureReadsToTheEnd(name: String) throws {
        let bytes = try Self.load(CaptureFixture.capturesDirectory() + "/\(name).pcap")
        var reader = try CaptureReader(bytes: bytes)
        let records = try reader.readAll()
        #expect(!records.isEmpty)
        #expect(reader.format == .pcap && reader.fileLinkType == .ethernet)
        #expect(records.allSatisfy { $0.linkType == .ethernet && $0.frameLength >= 14 })
        #expect(zip(records, records.dropFirst()).allSatisfy { $0.timestamp <= $1.timestamp })
        #expect(reader.progress == 1)
        // Timestamps are from this decade, not garbage.
        #expect(records[0].timestamp.seconds > 1_600_000_000)
    }

    @Test func iperfCaptureIsSnappedTo128Bytes() throws {
        var reader = try CaptureReader(bytes: try Self.load(CaptureFixture.capturesDirectory() + "/iperf.pcap"))
        let records = try reader.readAll()
        #expect(reader.snapLength == 128)
        #expect(records.allSatisfy { $0.frameLength <= 128 })
        #expect(records.contains { $0.isSnapped })
    }

    @Test func anyInterfaceCaptureIsLinuxCookedV2() throws {
        var reader = try CaptureReader(bytes: try Self.load(CaptureFixture.capturesDirectory() + "/sll2.pcap"))
        #expect(reader.fileLinkType == .linuxCooked2)
        #expect(try reader.readAll().count > 0)
    }

    @Test func sampleIsTheMergeOfTheFocusedCaptures() throws {
        var total = 0
        for name in Self.focused {
            var reader = try CaptureReader(bytes: try Self.load(CaptureFixture.capturesDirectory() + "/\(name).pcap"))
            total += try reader.readAll().count
        }
        var sample = try CaptureReader(bytes: try Self.load(CaptureFixture.samplesDirectory() + "/sample.pcap"))
        #expect(try sample.readAll().count == total)
    }

    /// tshark's pcapng conversion of sample.pcap must give the same frames and times.
    @Test func pcapngConversionMatchesThePcap() throws {
        var pcap = try CaptureReader(bytes: try Self.load(CaptureFixture.samplesDirectory() + "/sample.pcap"))
        var pcapng = try CaptureReader(bytes: try Self.load(CaptureFixture.capturesDirectory() + "/sample.pcapng"))
        #expect(pcapng.format == .pcapng)
        let a = try pcap.readAll(), b = try pcapng.readAll()
        #expect(a.count == b.count)
        for (x, y) in zip(a, b) {
            #expect(x.timestamp == y.timestamp)
            #expect(x.linkType == y.linkType)
            #expect(x.originalLength == y.originalLength)
            #expect(pcap.frame(of: x) == pcapng.frame(of: y))
        }
    }

    /// Rewriting a real capture with PcapWriter gives back the same bytes.
    @Test func writerReproducesARealCapture() throws {
        let original = try Self.load(CaptureFixture.capturesDirectory() + "/http.pcap")
        var reader = try CaptureReader(bytes: original)
        var writer = PcapWriter(linkType: try #require(reader.fileLinkType), resolution: .microsecond,
                                snapLength: reader.snapLength)
        for record in try reader.readAll() {
            writer.append(Array(reader.frame(of: record)), timestamp: record.timestamp,
                          originalLength: record.originalLength)
        }
        #expect(writer.bytes.count == original.count)
        #expect(writer.bytes[24...] == original[24...])   // header's zone/sigfigs fields may differ
    }
}

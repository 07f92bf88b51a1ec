import Testing
@testable import RampartWire
import RampartTestSupport

/// The reader must end cleanly or throw at every possible cut and on any garbage; a trap
/// here would crash the test process, which is the failure these tests look for.
@Suite("Capture files: truncation and garbage")
struct CaptureTruncationTests {
    static func smallPcapng() -> [UInt8] {
        var b = PcapngBuilder()
        b.section(bigEndian: false)
        b.interface(linkType: 1, tsresol: 9)
        b.enhancedPacket(interface: 0, units: 1, frame: CaptureFixture.frame(count: 61, seed: 1))
        b.interface(linkType: 276)
        b.simplePacket(frame: [9, 9, 9])
        b.obsoletePacket(interface: 1, units: 2, frame: [1, 2])
        b.section(bigEndian: true)
        b.interface(linkType: 101)
        b.enhancedPacket(interface: 0, units: 3, frame: [0x45])
        return b.bytes
    }

    @Test(arguments: ["pcap-le", "pcap-be-ns", "pcapng"])
    func everyTruncationPointEndsCleanlyOrThrows(kind: String) {
        let whole: [UInt8] = switch kind {
        case "pcap-le": CaptureFixture.smallPcap()
        case "pcap-be-ns": CaptureFixture.smallPcap(bigEndian: true, resolution: .nanosecond)
        default: Self.smallPcapng()
        }
        let full = drain(whole)
        #expect(full.error == nil)
        for cut in 0 ..< whole.count {
            let result = drain(Array(whole[0 ..< cut]))
            #expect(result.records.count <= full.records.count)
            // Whatever was delivered before the cut is identical to the whole file's records.
            #expect(Array(full.records.prefix(result.records.count)) == result.records)
            if let error = result.error {
                #expect(error.isTruncation || error.byteOffset <= cut, "cut \(cut): \(error)")
            } else {
                // A clean end happens only at a record boundary.
                #expect(result.records.last.map { $0.frameOffset + $0.frameLength <= cut } ?? true)
            }
        }
    }

    @Test func pcapTruncationInsideAHeaderIsAnError() {
        let whole = CaptureFixture.smallPcap()
        let result = drain(Array(whole[0 ..< 30]))   // 6 bytes of the first record header
        #expect(result.error?.reason == .truncatedRecordHeader(needed: 16, available: 6))
    }

    @Test func randomGarbageNeverTraps() {
        var rng = SeededRandom(seed: 0x5EED_CAFE)
        for round in 0 ..< 3000 {
            let count = Int.random(in: 0 ..< 300, using: &rng)
            var bytes = (0 ..< count).map { _ in UInt8.random(in: 0 ... 255, using: &rng) }
            // Give most inputs a real magic so the record parsers are reached.
            if count >= 4 {
                let magics: [[UInt8]] = [[0xD4, 0xC3, 0xB2, 0xA1], [0xA1, 0xB2, 0x3C, 0x4D], [0x0A, 0x0D, 0x0D, 0x0A]]
                if round % 4 != 0 { bytes.replaceSubrange(0 ..< 4, with: magics[round % 3]) }
            }
            _ = drain(bytes)
        }
    }

    @Test func randomMutationsOfValidFilesNeverTrap() {
        var rng = SeededRandom(seed: 42)
        let seeds = [CaptureFixture.smallPcap(), CaptureFixture.smallPcap(bigEndian: true), Self.smallPcapng()]
        for round in 0 ..< 4000 {
            var bytes = seeds[round % seeds.count]
            for _ in 0 ..< Int.random(in: 1 ... 6, using: &rng) {
                let i = Int.random(in: 0 ..< bytes.count, using: &rng)
                bytes[i] = UInt8.random(in: 0 ... 255, using: &rng)
            }
            let result = drain(bytes)
            for record in result.records {
                #expect(record.frameLength <= CaptureReader.maximumCapturedLength)
            }
        }
    }
}

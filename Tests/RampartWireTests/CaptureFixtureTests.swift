import Foundation
import Testing
@testable import RampartWire

/// Builders for capture files the tests need but no tool writes on demand (pcapng with
/// several interfaces, odd resolutions, obsolete blocks), a seeded generator, and the path
/// of the committed captures.
enum CaptureFixture {
    /// Tests/, found from this file so tests run from any working directory. Symlinks are
    /// resolved because dev packages link RampartWireTests in from the repository.
    static func testsDirectory(_ file: String = #filePath) -> URL {
        URL(fileURLWithPath: file).deletingLastPathComponent().resolvingSymlinksInPath()
            .deletingLastPathComponent()
    }

    /// Tests/Captures: the committed captures.
    static func capturesDirectory(_ file: String = #filePath) -> String {
        testsDirectory(file).appendingPathComponent("Captures").path
    }

    /// Samples/ at the repository root.
    static func samplesDirectory(_ file: String = #filePath) -> String {
        testsDirectory(file).deletingLastPathComponent().appendingPathComponent("Samples").path
    }

    /// A recognisable frame of `count` bytes whose content depends on `seed`.
    static func frame(count: Int, seed: UInt8) -> [UInt8] {
        (0 ..< count).map { UInt8(truncatingIfNeeded: $0 &* 7 &+ Int(seed)) }
    }

    /// A small valid pcap with three records.
    static func smallPcap(bigEndian: Bool = false, resolution: PcapWriter.Resolution = .microsecond) -> [UInt8] {
        var writer = PcapWriter(linkType: .ethernet, resolution: resolution, bigEndian: bigEndian)
        writer.append(frame(count: 60, seed: 1), timestamp: Timestamp(seconds: 1_700_000_000, nanoseconds: 1_000))
        writer.append(frame(count: 14, seed: 2), timestamp: Timestamp(seconds: 1_700_000_001, nanoseconds: 2_000))
        writer.append(frame(count: 98, seed: 3), timestamp: Timestamp(seconds: 1_700_000_002, nanoseconds: 999_999_000))
        return writer.bytes
    }
}

/// Writes pcapng blocks by hand, in either byte order.
struct PcapngBuilder {
    var bytes: [UInt8] = []
    var bigEndian = false

    mutating func u8(_ v: UInt8) { bytes.append(v) }
    mutating func u16(_ v: UInt16) { withUnsafeBytes(of: bigEndian ? v.bigEndian : v.littleEndian) { bytes.append(contentsOf: $0) } }
    mutating func u32(_ v: UInt32) { withUnsafeBytes(of: bigEndian ? v.bigEndian : v.littleEndian) { bytes.append(contentsOf: $0) } }

    /// Appends a block: type, length, body padded to 4, length.
    mutating func block(type: UInt32, body: (inout PcapngBuilder) -> Void) {
        var inner = PcapngBuilder(bigEndian: bigEndian)
        body(&inner)
        while inner.bytes.count % 4 != 0 { inner.u8(0) }
        let length = UInt32(inner.bytes.count + 12)
        u32(type); u32(length); bytes.append(contentsOf: inner.bytes); u32(length)
    }

    mutating func section(bigEndian: Bool) {
        self.bigEndian = bigEndian
        block(type: 0x0A0D_0D0A) { b in
            b.u32(0x1A2B_3C4D); b.u16(1); b.u16(0)
            b.u32(0xFFFF_FFFF); b.u32(0xFFFF_FFFF)   // section length unknown
        }
    }

    mutating func interface(linkType: UInt16, snapLength: UInt32 = 0, tsresol: UInt8? = nil, tsoffset: Int64? = nil) {
        block(type: 1) { b in
            b.u16(linkType); b.u16(0); b.u32(snapLength)
            b.u16(2); b.u16(4); b.bytes.append(contentsOf: Array("eth0".utf8))   // if_name
            if let tsresol { b.u16(9); b.u16(1); b.u8(tsresol); b.u8(0); b.u8(0); b.u8(0) }
            if let tsoffset {
                b.u16(14); b.u16(8)
                let v = UInt64(bitPattern: tsoffset)
                if b.bigEndian { b.u32(UInt32(v >> 32)); b.u32(UInt32(truncatingIfNeeded: v)) }
                else { b.u32(UInt32(truncatingIfNeeded: v)); b.u32(UInt32(v >> 32)) }
            }
            b.u16(0); b.u16(0)
        }
    }

    mutating func enhancedPacket(interface: UInt32, units: UInt64, frame: [UInt8], originalLength: Int? = nil) {
        block(type: 6) { b in
            b.u32(interface); b.u32(UInt32(units >> 32)); b.u32(UInt32(truncatingIfNeeded: units))
            b.u32(UInt32(frame.count)); b.u32(UInt32(originalLength ?? frame.count))
            b.bytes.append(contentsOf: frame)
            while b.bytes.count % 4 != 0 { b.u8(0) }
            b.u16(1); b.u16(5); b.bytes.append(contentsOf: Array("hello".utf8))   // opt_comment
        }
    }

    mutating func simplePacket(frame: [UInt8], originalLength: Int? = nil) {
        block(type: 3) { b in b.u32(UInt32(originalLength ?? frame.count)); b.bytes.append(contentsOf: frame) }
    }

    mutating func obsoletePacket(interface: UInt16, units: UInt64, frame: [UInt8]) {
        block(type: 2) { b in
            b.u16(interface); b.u16(0); b.u32(UInt32(units >> 32)); b.u32(UInt32(truncatingIfNeeded: units))
            b.u32(UInt32(frame.count)); b.u32(UInt32(frame.count)); b.bytes.append(contentsOf: frame)
        }
    }

    mutating func unknownBlock(type: UInt32, size: Int) {
        block(type: type) { b in b.bytes.append(contentsOf: [UInt8](repeating: 0xAB, count: size)) }
    }
}


/// Reads records until the end or an error; never traps (that is what the tests check).
func drain(_ bytes: [UInt8]) -> (records: [CaptureRecord], error: CaptureError?) {
    var reader: CaptureReader
    do { reader = try CaptureReader(bytes: bytes) } catch { return ([], error) }
    var records: [CaptureRecord] = []
    var record = CaptureRecord()
    do {
        while try reader.next(into: &record) {
            // Every frame must lie inside the file.
            precondition(record.frameOffset >= 0 && record.frameOffset + record.frameLength <= bytes.count)
            records.append(record)
        }
        return (records, nil)
    } catch {
        return (records, error)
    }
}

@Suite("Capture fixtures")
struct CaptureFixtureTests {
    @Test func capturesDirectoryEndsInTestsCaptures() {
        #expect(CaptureFixture.capturesDirectory().hasSuffix("/Tests/Captures"))
        #expect(CaptureFixture.samplesDirectory().hasSuffix("/Samples"))
    }

    @Test func pcapngBuilderPadsBlocksToFourBytes() {
        var b = PcapngBuilder()
        b.section(bigEndian: false)
        b.simplePacket(frame: [1, 2, 3])
        #expect(b.bytes.count % 4 == 0)
    }
}

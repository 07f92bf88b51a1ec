import Testing
@testable import RampartWire

@Suite("CaptureReader and PcapWriter")
struct CaptureReaderTests {
    // MARK: classic pcap

    @Test(arguments: [false, true], [PcapWriter.Resolution.microsecond, .nanosecond])
    func roundTrip(bigEndian: Bool, resolution: PcapWriter.Resolution) throws {
        let bytes = CaptureFixture.smallPcap(bigEndian: bigEndian, resolution: resolution)
        var reader = try CaptureReader(bytes: bytes)
        #expect(reader.format == .pcap)
        #expect(reader.fileLinkType == .ethernet)
        #expect(reader.snapLength == CaptureReader.maximumCapturedLength)
        let records = try reader.readAll()
        #expect(records.count == 3)
        #expect(records.map(\.number) == [1, 2, 3])
        #expect(records.map(\.frameLength) == [60, 14, 98])
        #expect(records.map(\.originalLength) == [60, 14, 98])
        #expect(Array(reader.frame(of: records[0])) == CaptureFixture.frame(count: 60, seed: 1))
        #expect(Array(reader.frame(of: records[2])) == CaptureFixture.frame(count: 98, seed: 3))
        #expect(records[0].timestamp == Timestamp(seconds: 1_700_000_000, nanoseconds: 1_000))
        #expect(records[2].timestamp == Timestamp(seconds: 1_700_000_002, nanoseconds: 999_999_000))
        #expect(reader.progress == 1)
        #expect(reader.bytesConsumed == bytes.count)
    }

    @Test func nanosecondsSurviveOnlyAtNanosecondResolution() throws {
        let t = Timestamp(seconds: 1_600_000_000, nanoseconds: 123_456_789)
        var nano = PcapWriter(resolution: .nanosecond)
        nano.append([1, 2, 3], timestamp: t)
        var micro = PcapWriter(resolution: .microsecond)
        micro.append([1, 2, 3], timestamp: t)
        var r1 = try CaptureReader(bytes: nano.bytes)
        var r2 = try CaptureReader(bytes: micro.bytes)
        #expect(try r1.readAll().first?.timestamp == t)
        #expect(try r2.readAll().first?.timestamp == Timestamp(seconds: 1_600_000_000, nanoseconds: 123_456_000))
        #expect(nano.bytes[0 ..< 4] == [0x4D, 0x3C, 0xB2, 0xA1])   // A1B23C4D little-endian
    }

    @Test func bigEndianHeaderIsWrittenInNetworkOrder() {
        let bytes = CaptureFixture.smallPcap(bigEndian: true)
        #expect(bytes[0 ..< 4] == [0xA1, 0xB2, 0xC3, 0xD4])
    }

    @Test(arguments: [LinkType.ethernet, .raw, .ipv4, .ipv6, .linuxCooked, .linuxCooked2])
    func linkTypeIsCarriedToEveryRecord(linkType: LinkType) throws {
        var writer = PcapWriter(linkType: linkType)
        writer.append([0x45, 0, 0, 20], timestamp: .zero)
        var reader = try CaptureReader(bytes: writer.bytes)
        #expect(reader.fileLinkType == linkType)
        #expect(try reader.readAll().map(\.linkType) == [linkType])
    }

    @Test func snapLengthCutsFramesAndKeepsOriginalLength() throws {
        var writer = PcapWriter(snapLength: 64)
        writer.append(CaptureFixture.frame(count: 1514, seed: 9), timestamp: .zero)
        var reader = try CaptureReader(bytes: writer.bytes)
        let record = try #require(try reader.readAll().first)
        #expect(reader.snapLength == 64)
        #expect(record.frameLength == 64 && record.originalLength == 1514 && record.isSnapped)
    }

    @Test func takeBytesStreamsHeaderThenRecords() throws {
        var writer = PcapWriter()
        writer.append([1], timestamp: .zero)
        var file = writer.takeBytes()
        #expect(writer.bytes.isEmpty)
        writer.append([2, 3], timestamp: .zero)
        file += writer.takeBytes()
        var reader = try CaptureReader(bytes: file)
        #expect(try reader.readAll().map(\.frameLength) == [1, 2])
        #expect(writer.recordCount == 2)
    }

    @Test func headerOnlyFileHasNoRecords() throws {
        var reader = try CaptureReader(bytes: PcapWriter().bytes)
        var record = CaptureRecord()
        #expect(try reader.next(into: &record) == false)
        #expect(try reader.next(into: &record) == false)
    }

    @Test func progressGrowsRecordByRecord() throws {
        let bytes = CaptureFixture.smallPcap()
        var reader = try CaptureReader(bytes: bytes)
        var record = CaptureRecord()
        var last = reader.progress
        #expect(last > 0 && last < 1)
        while try reader.next(into: &record) {
            #expect(reader.progress > last)
            last = reader.progress
        }
        #expect(last == 1)
    }

    // MARK: rejecting what is not a capture

    @Test func badMagicSaysNotACapture() {
        let error = drain(Array("GET / HTTP/1.1\r\n\r\n".utf8)).error
        #expect(error?.reason == .notACapture(firstBytes: 0x4745_5420))
        #expect(error?.description.contains("not a pcap or pcapng file") == true)
    }

    @Test func gzipIsRecognised() {
        let error = drain([0x1F, 0x8B, 0x08, 0x00, 0, 0, 0, 0]).error
        #expect(error?.description.contains("gzip") == true)
    }

    @Test func emptyFileIsNotACapture() {
        let error = drain([]).error
        #expect(error?.reason == .truncatedFileHeader(needed: 24, available: 0))
        #expect(error?.description.contains("empty") == true)
    }

    @Test func unknownPcapVersionIsRejected() {
        var bytes = CaptureFixture.smallPcap()
        bytes[4] = 3
        #expect(drain(bytes).error?.reason == .unsupportedVersion(major: 3, minor: 4))
    }

    @Test func hostileCapturedLengthIsAnErrorNotAnAllocation() {
        var bytes = CaptureFixture.smallPcap()
        // First record header starts at 24; its captured length at 32.
        bytes.replaceSubrange(32 ..< 36, with: [0xFF, 0xFF, 0xFF, 0x7F])
        let result = drain(bytes)
        #expect(result.records.isEmpty)
        #expect(result.error?.reason == .capturedLengthTooLarge(declared: 0x7FFF_FFFF, limit: 262_144))
        #expect(result.error?.recordNumber == 1 && result.error?.byteOffset == 24)
    }

    @Test func truncatedRecordErrorNamesRecordOffsetAndSizes() throws {
        var writer = PcapWriter()
        writer.append(CaptureFixture.frame(count: 100, seed: 1), timestamp: .zero)
        writer.append(CaptureFixture.frame(count: 1514, seed: 2), timestamp: .zero)
        let cut = Array(writer.bytes.dropLast(1514 - 310))
        let result = drain(cut)
        #expect(result.records.count == 1)
        let error = try #require(result.error)
        #expect(error.isTruncation)
        #expect(error.description == "record 2 at byte 140: header says 1514 bytes but only 310 remain (file truncated?)")
    }

    @Test func errorsAreSticky() throws {
        var bytes = CaptureFixture.smallPcap()
        bytes.removeLast(5)
        var reader = try CaptureReader(bytes: bytes)
        var record = CaptureRecord()
        #expect(try reader.next(into: &record))
        #expect(try reader.next(into: &record))
        let first = #expect(throws: CaptureError.self) { try reader.next(into: &record) }
        let second = #expect(throws: CaptureError.self) { try reader.next(into: &record) }
        #expect(first == second)
    }

    // MARK: pcapng

    @Test func pcapngTwoInterfacesWithDifferentLinkTypesAndResolutions() throws {
        for bigEndian in [false, true] {
            var b = PcapngBuilder()
            b.section(bigEndian: bigEndian)
            b.interface(linkType: 1)                              // Ethernet, default microseconds
            b.interface(linkType: 101, snapLength: 65535, tsresol: 9)   // RAW, nanoseconds
            b.unknownBlock(type: 0x0000_0BAD, size: 37)            // skipped by length
            b.enhancedPacket(interface: 0, units: 1_700_000_000_123_456, frame: CaptureFixture.frame(count: 60, seed: 1))
            b.enhancedPacket(interface: 1, units: 1_700_000_000_123_456_789, frame: CaptureFixture.frame(count: 41, seed: 2), originalLength: 1500)
            let records = drain(b.bytes)
            #expect(records.error == nil)
            #expect(records.records.count == 2)
            let first = records.records[0], second = records.records[1]
            #expect(first.linkType == .ethernet && first.interfaceIndex == 0)
            #expect(first.timestamp == Timestamp(seconds: 1_700_000_000, nanoseconds: 123_456_000))
            #expect(second.linkType == .raw && second.interfaceIndex == 1)
            #expect(second.timestamp == Timestamp(seconds: 1_700_000_000, nanoseconds: 123_456_789))
            #expect(second.originalLength == 1500 && second.frameLength == 41)
            #expect(Array(b.bytes[second.frameRange]) == CaptureFixture.frame(count: 41, seed: 2))
        }
    }

    @Test func pcapngBinaryResolutionAndOffset() throws {
        var b = PcapngBuilder()
        b.section(bigEndian: false)
        b.interface(linkType: 1, tsresol: 0x80 | 10, tsoffset: 100)   // 1/1024 s, +100 s
        b.enhancedPacket(interface: 0, units: 1024 * 5 + 512, frame: [1, 2, 3, 4])
        b.interface(linkType: 1, tsresol: 0x80 | 63)                 // 2^-63 s
        b.enhancedPacket(interface: 1, units: UInt64(1) << 62, frame: [1])
        b.interface(linkType: 1, tsresol: 19)                        // 10^-19 s
        b.enhancedPacket(interface: 2, units: UInt64.max, frame: [1])
        let result = drain(b.bytes)
        #expect(result.error == nil)
        #expect(result.records.map(\.timestamp) == [
            Timestamp(seconds: 105, nanoseconds: 500_000_000),
            Timestamp(seconds: 0, nanoseconds: 500_000_000),
            Timestamp(seconds: 1, nanoseconds: 844_674_407),
        ])
    }

    @Test func pcapngUnsupportedResolutionIsAnError() {
        var b = PcapngBuilder()
        b.section(bigEndian: false)
        b.interface(linkType: 1, tsresol: 20)
        #expect(drain(b.bytes).error?.reason == .unsupportedTimestampResolution(20))
    }

    @Test func pcapngSectionsMayChangeByteOrderAndResetInterfaces() throws {
        var b = PcapngBuilder()
        b.section(bigEndian: false)
        b.interface(linkType: 1)
        b.enhancedPacket(interface: 0, units: 1, frame: [1])
        b.section(bigEndian: true)
        b.interface(linkType: 229)
        b.enhancedPacket(interface: 0, units: 2, frame: [2, 2])
        b.enhancedPacket(interface: 1, units: 3, frame: [3])          // only one interface here
        let result = drain(b.bytes)
        #expect(result.records.map(\.linkType) == [.ethernet, .ipv6])
        #expect(result.error?.reason == .unknownInterface(id: 1, declared: 1))
        #expect(result.error?.recordNumber == 3)
    }

    @Test func pcapngSimpleAndObsoletePacketBlocks() throws {
        var b = PcapngBuilder()
        b.section(bigEndian: true)
        b.interface(linkType: 1, snapLength: 16)
        b.obsoletePacket(interface: 0, units: 7_000_000, frame: CaptureFixture.frame(count: 10, seed: 4))
        b.simplePacket(frame: CaptureFixture.frame(count: 20, seed: 5))   // cut to the snap length
        let result = drain(b.bytes)
        #expect(result.error == nil)
        #expect(result.records.map(\.frameLength) == [10, 16])
        #expect(result.records.map(\.originalLength) == [10, 20])
        // A Simple Packet Block has no timestamp: it keeps the previous one.
        #expect(result.records.map(\.timestamp) == [Timestamp(seconds: 7, nanoseconds: 0), Timestamp(seconds: 7, nanoseconds: 0)])
    }

    @Test func pcapngPacketBeforeAnyInterfaceIsAnError() {
        var b = PcapngBuilder()
        b.section(bigEndian: false)
        b.simplePacket(frame: [1])
        #expect(drain(b.bytes).error?.reason == .unknownInterface(id: 0, declared: 0))
    }

    @Test func pcapngBadBlockLengths() {
        var base = PcapngBuilder()
        base.section(bigEndian: false)
        base.interface(linkType: 1)
        let good = base.bytes

        var odd = good
        odd += [6, 0, 0, 0, 33, 0, 0, 0] + [UInt8](repeating: 0, count: 25)
        #expect(drain(odd).error?.reason == .blockLengthNotMultipleOfFour(blockType: 6, length: 33))

        var small = good
        small += [6, 0, 0, 0, 12, 0, 0, 0, 12, 0, 0, 0]
        #expect(drain(small).error?.reason == .blockLengthTooSmall(blockType: 6, length: 12, minimum: 32))

        var mismatch = good
        mismatch += [0x99, 0, 0, 0, 16, 0, 0, 0, 0, 0, 0, 0, 20, 0, 0, 0]
        #expect(drain(mismatch).error?.reason == .blockLengthMismatch(leading: 16, trailing: 20))

        var huge = good
        huge += [0x99, 0, 0, 0, 0xFC, 0xFF, 0xFF, 0xFF, 0, 0, 0, 0]
        // A declared length over any real block (16 MiB) is corruption, said so the same way
        // whether the file is read whole or streamed (found by Fuzz/CaptureStreamFuzz).
        #expect(drain(huge).error?.reason == .blockLengthTooLarge(blockType: 0x99, length: 0xFFFF_FFFC, limit: CaptureReader.maximumBlockLength))
    }

    @Test func pcapngCapturedLengthMustFitItsBlock() {
        var b = PcapngBuilder()
        b.section(bigEndian: false)
        b.interface(linkType: 1)
        b.enhancedPacket(interface: 0, units: 0, frame: [1, 2, 3, 4])
        var bytes = b.bytes
        let epb = bytes.count - 48   // EPB: 28 + 4 frame + 12 option + 4 trailer
        bytes[epb + 20] = 200        // captured length
        #expect(drain(bytes).error?.reason == .capturedLengthExceedsBlock(captured: 200, room: 16))
    }

    @Test func pcapngBadByteOrderMagic() {
        var b = PcapngBuilder()
        b.section(bigEndian: false)
        var bytes = b.bytes
        bytes[8] = 0
        #expect(drain(bytes).error?.reason == .badByteOrderMagic(0x1A2B_3C00))
    }

    @Test func pcapngOptionRunningPastItsBlock() {
        var b = PcapngBuilder()
        b.section(bigEndian: false)
        b.block(type: 1) { b in b.u16(1); b.u16(0); b.u32(0); b.u16(9); b.u16(200) }
        #expect(drain(b.bytes).error?.reason == .malformedOption(code: 9, length: 200))
    }
}

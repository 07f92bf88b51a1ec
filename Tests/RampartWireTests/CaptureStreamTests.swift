import Foundation
import Testing
@testable import RampartWire

/// A streaming reader (issue 11: `rampart inspect` held a whole 800 MB capture in memory)
/// must deliver exactly what the in-memory reader delivers, frame bytes, timestamps and
/// errors with their file offsets included, whatever the chunk size and however the source
/// cuts its reads.
@Suite("Capture files: streamed a chunk at a time")
struct CaptureStreamTests {
    /// A source that hands out at most `step` bytes per read, like a slow pipe.
    struct SlicedSource: CaptureSource {
        let bytes: [UInt8]
        let step: Int
        final class Cursor: @unchecked Sendable { var at = 0 }
        let cursor = Cursor()
        var size: Int? { bytes.count }
        func read(into buffer: UnsafeMutableRawBufferPointer) throws(CaptureError) -> Int {
            let n = min(step, buffer.count, bytes.count - cursor.at)
            bytes.withUnsafeBytes { buffer.copyMemory(from: UnsafeRawBufferPointer(rebasing: $0[cursor.at ..< cursor.at + n])) }
            cursor.at += n
            return n
        }
    }

    struct Seen: Equatable {
        var frames: [[UInt8]] = []
        var times: [Timestamp] = []
        var links: [LinkType] = []
        var error: String?
    }

    static func readAll(_ reader: inout CaptureReader) -> Seen {
        var seen = Seen()
        var record = CaptureRecord()
        do {
            while try reader.next(into: &record) {
                seen.frames.append(Array(reader.frame(of: record)))
                seen.times.append(record.timestamp)
                seen.links.append(record.linkType)
            }
        } catch {
            seen.error = error.description
        }
        return seen
    }

    static func files() throws -> [(String, [UInt8])] {
        let folder = CaptureFixture.capturesDirectory()
        let names = try FileManager.default.contentsOfDirectory(atPath: folder).filter { $0.hasSuffix(".pcap") || $0.hasSuffix(".pcapng") }.sorted()
        return try names.map { ($0, [UInt8](try #require(FileManager.default.contents(atPath: folder + "/" + $0)))) }
    }

    @Test func streamedEqualsInMemoryForEveryCaptureAndChunkSize() throws {
        for (name, bytes) in try Self.files() {
            var whole = try CaptureReader(bytes: bytes)
            let expected = Self.readAll(&whole)
            #expect(expected.error == nil && !expected.frames.isEmpty, "\(name)")
            for (chunk, step) in [(64, 7), (100, 1 << 20), (1500, 333), (CaptureReader.streamChunk, 65536)] {
                var streamed = try CaptureReader(source: SlicedSource(bytes: bytes, step: step), chunk: chunk)
                let seen = Self.readAll(&streamed)
                #expect(seen == expected, "\(name), chunk \(chunk), reads of \(step)")
                #expect(streamed.progress == 1 && streamed.bytesConsumed == bytes.count, "\(name)")
            }
        }
    }

    @Test func aTruncatedStreamFailsAtTheSameRecordAndOffset() throws {
        for (name, bytes) in try Self.files() {
            for cut in [bytes.count - 1, bytes.count * 2 / 3, 40] where cut > 32 {
                let part = Array(bytes[..<cut])
                func run(_ make: () throws(CaptureError) -> CaptureReader) -> Seen {
                    do {
                        var reader = try make()
                        return Self.readAll(&reader)
                    } catch {
                        return Seen(error: error.description)
                    }
                }
                let expected = run { () throws(CaptureError) in try CaptureReader(bytes: part) }
                let seen = run { () throws(CaptureError) in try CaptureReader(source: SlicedSource(bytes: part, step: 97), chunk: 256) }
                #expect(seen == expected, "\(name) cut at \(cut): \(seen.error ?? "-") vs \(expected.error ?? "-")")
            }
        }
    }

    /// Found by Fuzz/CaptureStreamFuzz: a block declaring more than `maximumBlockLength` was
    /// "truncated, only 138 remain" whole but "only 64 remain" streamed (the window's rest).
    /// Both now refuse it as corrupt, with the same error.
    @Test func aBlockOverTheLimitFailsTheSameWholeAndStreamed() throws {
        func le(_ v: UInt32) -> [UInt8] { withUnsafeBytes(of: v.littleEndian) { Array($0) } }
        let huge = UInt32(0xA1B2_C3D4)                  // 2,712,847,316 bytes, a multiple of 4
        let sectionOverLimit = le(0x0A0D_0D0A) + le(huge) + le(0x1A2B_3C4D) + [UInt8](repeating: 0, count: 126)
        // A valid section and interface, then a packet block declaring 32 MiB.
        let section = le(0x0A0D_0D0A) + le(28) + le(0x1A2B_3C4D) + [1, 0, 0, 0] + [UInt8](repeating: 0xFF, count: 8) + le(28)
        let interface = le(1) + le(20) + [1, 0, 0, 0] + le(0) + le(20)
        let packetOverLimit = section + interface + le(6) + le(32 << 20) + [UInt8](repeating: 0, count: 200)
        for (bytes, type, offset) in [(sectionOverLimit, UInt32(0x0A0D_0D0A), 0), (packetOverLimit, UInt32(6), 48)] {
            func run(_ make: () throws(CaptureError) -> CaptureReader) -> CaptureError? {
                do throws(CaptureError) {
                    var reader = try make()
                    _ = try reader.readAll()
                    return nil
                } catch { return error }
            }
            let whole = run { () throws(CaptureError) in try CaptureReader(bytes: bytes) }
            let streamed = run { () throws(CaptureError) in try CaptureReader(source: SlicedSource(bytes: bytes, step: 8), chunk: 64) }
            #expect(whole == streamed, "\(whole.map { "\($0)" } ?? "-") vs \(streamed.map { "\($0)" } ?? "-")")
            guard case .blockLengthTooLarge(let blockType, _, let limit)? = whole?.reason else {
                Issue.record("expected blockLengthTooLarge, got \(whole.map { "\($0)" } ?? "no error")")
                continue
            }
            #expect(blockType == type && limit == CaptureReader.maximumBlockLength && whole?.byteOffset == offset)
        }
    }

    @Test func memoryIsOneWindowNotTheFile() throws {
        // 40,000 records of 1,000 bytes (40 MB): the window never holds more than a chunk
        // plus one record.
        var writer = PcapWriter()
        let frame = [UInt8](repeating: 0xAB, count: 1000)
        for i in 0 ..< 40_000 { writer.append(frame, timestamp: Timestamp(seconds: 1_700_000_000 + Int64(i), nanoseconds: 0)) }
        let bytes = writer.bytes
        var reader = try CaptureReader(source: SlicedSource(bytes: bytes, step: 1 << 16), chunk: 1 << 16)
        var record = CaptureRecord()
        var count = 0
        var largestWindow = 0
        while try reader.next(into: &record) {
            count += 1
            largestWindow = max(largestWindow, reader.bytes.count)
        }
        #expect(count == 40_000)
        #expect(largestWindow <= (1 << 16) + 1016)
    }

    @Test func aReadErrorIsACaptureErrorWithItsOffset() throws {
        struct Failing: CaptureSource {
            let head: [UInt8]
            final class Cursor: @unchecked Sendable { var at = 0 }
            let cursor = Cursor()
            var size: Int? { nil }
            func read(into buffer: UnsafeMutableRawBufferPointer) throws(CaptureError) -> Int {
                if cursor.at < head.count {
                    let n = min(buffer.count, head.count - cursor.at)
                    head.withUnsafeBytes { buffer.copyMemory(from: UnsafeRawBufferPointer(rebasing: $0[cursor.at ..< cursor.at + n])) }
                    cursor.at += n
                    return n
                }
                throw CaptureError(.readFailed("Input/output error"), byteOffset: 0, recordNumber: 0)
            }
        }
        var writer = PcapWriter()
        writer.append([UInt8](repeating: 1, count: 60), timestamp: Timestamp(seconds: 1_700_000_000, nanoseconds: 0))
        writer.append([UInt8](repeating: 2, count: 60), timestamp: Timestamp(seconds: 1_700_000_001, nanoseconds: 0))
        let head = Array(writer.bytes[..<(24 + 16 + 60 + 10)])
        var reader = try CaptureReader(source: Failing(head: head), chunk: 64)
        let seen = Self.readAll(&reader)
        #expect(seen.frames.count == 1)
        #expect(seen.error?.contains("could not read the capture: Input/output error") == true, "\(seen.error ?? "")")
    }
}

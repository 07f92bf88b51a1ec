/// Builds a classic pcap file in memory; the caller writes ``bytes`` to disk.
///
/// Timestamps are stored with microsecond or nanosecond resolution (the nanosecond magic
/// `A1B23C4D` tells readers which). Seconds are stored as pcap's unsigned 32-bit field:
/// times before 1970 or after 2106 wrap. Frames longer than the snap length are cut to it
/// and keep their original length in the record header.
///
/// ```swift
/// var writer = PcapWriter(linkType: .ethernet, resolution: .nanosecond)
/// writer.append(frame, timestamp: Timestamp(seconds: 1_700_000_000, nanoseconds: 42))
/// try writeFile(path, writer.bytes)           // the caller's I/O
///
/// // Streaming: header once, then records in batches.
/// var stream = PcapWriter(linkType: .raw)
/// stream.append(packet, timestamp: now)
/// output.write(stream.takeBytes())            // header + first record; buffer now empty
/// ```
public struct PcapWriter: Sendable {
    /// How finely record timestamps are stored.
    public enum Resolution: Sendable, Equatable {
        case microsecond
        case nanosecond
    }

    public let linkType: LinkType
    public let resolution: Resolution
    public let snapLength: Int
    public let bigEndian: Bool
    /// The file so far (or, after ``takeBytes()``, what was appended since).
    public private(set) var bytes: [UInt8]
    /// Records appended since the writer was made.
    public private(set) var recordCount: Int = 0

    /// - Parameters:
    ///   - snapLength: at most ``CaptureReader/maximumCapturedLength``; larger values are clamped.
    ///   - bigEndian: write big-endian headers (for testing readers); native little-endian otherwise.
    ///   - includeFileHeader: `false` to produce records only, for appending to an existing file
    ///     that already has a header with the same link type and resolution.
    public init(linkType: LinkType = .ethernet, resolution: Resolution = .microsecond,
                snapLength: Int = CaptureReader.maximumCapturedLength, bigEndian: Bool = false,
                includeFileHeader: Bool = true) {
        self.linkType = linkType
        self.resolution = resolution
        self.snapLength = max(1, min(snapLength, CaptureReader.maximumCapturedLength))
        self.bigEndian = bigEndian
        self.bytes = []
        guard includeFileHeader else { return }
        bytes.reserveCapacity(4096)
        appendUInt32(resolution == .nanosecond ? 0xA1B2_3C4D : 0xA1B2_C3D4)
        appendUInt16(2)                          // version 2.4
        appendUInt16(4)
        appendUInt32(0)                          // thiszone
        appendUInt32(0)                          // sigfigs
        appendUInt32(UInt32(self.snapLength))
        appendUInt32(linkType.rawValue)
    }

    /// Appends one record.
    /// - Parameters:
    ///   - originalLength: the length on the wire if the frame was already cut; defaults to
    ///     the frame's length.
    public mutating func append(_ frame: UnsafeRawBufferPointer, timestamp: Timestamp,
                                originalLength: Int? = nil) {
        let captured = min(frame.count, snapLength)
        let original = max(originalLength ?? frame.count, captured)
        var fraction = timestamp.nanosecondsSinceEpoch % 1_000_000_000
        var seconds = timestamp.nanosecondsSinceEpoch / 1_000_000_000
        if fraction < 0 { fraction &+= 1_000_000_000; seconds &-= 1 }
        appendUInt32(UInt32(truncatingIfNeeded: seconds))
        appendUInt32(UInt32(resolution == .nanosecond ? fraction : fraction / 1000))
        appendUInt32(UInt32(captured))
        appendUInt32(UInt32(truncatingIfNeeded: original))
        bytes.append(contentsOf: UnsafeRawBufferPointer(rebasing: frame[0 ..< captured]))
        recordCount &+= 1
    }

    /// Appends one record from an array.
    public mutating func append(_ frame: [UInt8], timestamp: Timestamp, originalLength: Int? = nil) {
        frame.withUnsafeBytes { append($0, timestamp: timestamp, originalLength: originalLength) }
    }

    /// Returns what has been written and empties the buffer, so a long capture can be
    /// flushed to disk in pieces; later appends produce records only.
    public mutating func takeBytes() -> [UInt8] {
        defer { bytes.removeAll(keepingCapacity: true) }
        return bytes
    }

    private mutating func appendUInt32(_ value: UInt32) {
        let ordered = bigEndian ? value.bigEndian : value.littleEndian
        withUnsafeBytes(of: ordered) { bytes.append(contentsOf: $0) }
    }

    private mutating func appendUInt16(_ value: UInt16) {
        let ordered = bigEndian ? value.bigEndian : value.littleEndian
        withUnsafeBytes(of: ordered) { bytes.append(contentsOf: $0) }
    }
}

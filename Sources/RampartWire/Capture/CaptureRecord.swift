/// One packet record of a capture file. The frame is not copied: it is a range of the
/// reader's ``CaptureReader/bytes``, to be borrowed with `withUnsafeBytes`.
///
/// ```swift
/// var record = CaptureRecord()
/// let file = reader.bytes
/// try file.withUnsafeBytes { all in
///     while try reader.next(into: &record) {
///         let frame = UnsafeRawBufferPointer(rebasing: all[record.frameRange])
///         _ = frame   // decode it
///     }
/// }
/// ```
@frozen
public struct CaptureRecord: Sendable, Equatable {
    /// When the packet was captured.
    public var timestamp: Timestamp
    /// The framing of ``frameRange``: the file's link type (pcap) or the interface's (pcapng).
    public var linkType: LinkType
    /// The packet's length on the wire; larger than ``frameLength`` when the snap length cut it.
    public var originalLength: Int
    /// Where the captured bytes start in the reader's buffer.
    public var frameOffset: Int
    /// How many bytes were captured.
    public var frameLength: Int
    /// The pcapng interface the packet arrived on (0 for classic pcap).
    public var interfaceIndex: Int
    /// 1-based position of this record among the file's packet records.
    public var number: Int

    @inlinable
    public init() {
        timestamp = .zero
        linkType = .ethernet
        originalLength = 0
        frameOffset = 0
        frameLength = 0
        interfaceIndex = 0
        number = 0
    }

    /// The captured bytes as a range of the reader's buffer.
    @inlinable
    public var frameRange: Range<Int> { frameOffset ..< frameOffset &+ frameLength }

    /// `true` when the capture holds fewer bytes than the packet had on the wire.
    @inlinable
    public var isSnapped: Bool { frameLength < originalLength }
}

/// Which of the two capture file formats a file uses.
public enum CaptureFormat: Sendable, Equatable {
    /// Classic libpcap format (one link type per file).
    case pcap
    /// pcapng: sections of interfaces, each with its own link type and timestamp resolution.
    case pcapng
}

/// pcapng block type codes this reader understands.
@usableFromInline
enum PcapngBlockType {
    @usableFromInline static let sectionHeader: UInt32 = 0x0A0D_0D0A
    @usableFromInline static let interfaceDescription: UInt32 = 1
    @usableFromInline static let obsoletePacket: UInt32 = 2
    @usableFromInline static let simplePacket: UInt32 = 3
    @usableFromInline static let enhancedPacket: UInt32 = 6
}

extension UnsafeRawBufferPointer {
    /// Reads a 32-bit integer in the file's byte order. The caller has checked that
    /// `offset + 4 <= count`.
    @inlinable @inline(__always)
    func captureUInt32(at offset: Int, bigEndian: Bool) -> UInt32 {
        let raw = loadUnaligned(fromByteOffset: offset, as: UInt32.self)
        return bigEndian ? UInt32(bigEndian: raw) : UInt32(littleEndian: raw)
    }

    /// Reads a 16-bit integer in the file's byte order. The caller has checked the bounds.
    @inlinable @inline(__always)
    func captureUInt16(at offset: Int, bigEndian: Bool) -> UInt16 {
        let raw = loadUnaligned(fromByteOffset: offset, as: UInt16.self)
        return bigEndian ? UInt16(bigEndian: raw) : UInt16(littleEndian: raw)
    }
}

/// Reads the packet records of a classic pcap or a pcapng file, held whole in memory
/// (``init(bytes:)``) or streamed a chunk at a time from a ``CaptureSource``
/// (``init(source:)``), so that memory does not grow with the capture.
///
/// The reader never copies a frame and never traps: each record is a range of ``bytes``
/// and a damaged file yields a ``CaptureError`` naming the byte offset and record number.
///
/// Formats: pcap in both byte orders with microsecond or nanosecond magic, any link type
/// (Ethernet, RAW, IPv4, IPv6, Linux cooked SLL and SLL2 are what Rampart decodes); pcapng
/// with any number of sections in either byte order, Interface Description Blocks with
/// their link type, `if_tsresol` and `if_tsoffset`, Enhanced, Simple and obsolete Packet
/// Blocks; other blocks are skipped by their length.
///
/// **A file that ends part-way through a record is an error**, thrown by the call that
/// reaches it after every complete record has been delivered; a file that ends exactly
/// at a record boundary is a clean end (`next` returns `false`). Callers that want
/// `tcpdump -r`'s behaviour (warn and keep what was read) catch the error and check
/// ``CaptureError/isTruncation``. After an error every later call throws the same error.
///
/// A Simple Packet Block has no timestamp; its record gets the previous record's
/// timestamp, so time never runs backwards for the engine.
///
/// ```swift
/// var reader = try CaptureReader(bytes: fileBytes)
/// var record = CaptureRecord()
/// let file = reader.bytes
/// try file.withUnsafeBytes { all in
///     while try reader.next(into: &record) {
///         let frame = UnsafeRawBufferPointer(rebasing: all[record.frameRange])
///         engine.process(frame, linkType: record.linkType, at: record.timestamp)
///     }
/// }
/// ```
public struct CaptureReader: Sendable {
    /// Captured lengths above this are treated as corruption, never as an allocation size
    /// (libpcap's own maximum snap length).
    public static let maximumCapturedLength = 262_144
    /// Interface Description Blocks allowed in one pcapng section.
    public static let maximumInterfaces = 4096

    /// The whole file, or for a streaming reader the current window of it. Records point
    /// into it; a streaming reader replaces it between records (``windowGeneration``).
    public internal(set) var bytes: [UInt8]
    /// Whether the file is classic pcap or pcapng.
    public let format: CaptureFormat
    /// For classic pcap, the file's link type; for pcapng, `nil` (each interface has its own).
    public let fileLinkType: LinkType?
    /// For classic pcap, the snap length in the file header; for pcapng, 0.
    public let snapLength: Int

    @usableFromInline var offset: Int
    @usableFromInline var readCount: Int
    @usableFromInline var bigEndian: Bool
    @usableFromInline let pcapLinkType: LinkType
    @usableFromInline let pcapNanosecond: Bool
    @usableFromInline var interfaces: [PcapngInterface]
    @usableFromInline var lastTimestamp: Timestamp
    @usableFromInline var failure: CaptureError?
    /// Streaming: where the rest comes from, whether it has ended, the file offset of
    /// `bytes[0]`, and the file's size when known.
    @usableFromInline var source: (any CaptureSource)? = nil
    @usableFromInline var sourceEnded = true
    @usableFromInline var windowStart = 0
    @usableFromInline var knownSize: Int? = nil
    @usableFromInline var chunkSize = CaptureReader.streamChunk
    /// Changes each time a streaming reader replaces ``bytes``.
    public internal(set) var windowGeneration = 0

    /// Checks the file header (pcap) or first Section Header Block (pcapng).
    /// - Throws: ``CaptureError`` when the bytes are not a capture this reader knows.
    public init(bytes: [UInt8]) throws(CaptureError) {
        func headerError(_ reason: CaptureError.Reason) -> CaptureError {
            CaptureError(reason, byteOffset: 0, recordNumber: 0)
        }
        guard bytes.count >= 4 else {
            throw headerError(.truncatedFileHeader(needed: 24, available: bytes.count))
        }
        let magic = bytes.withUnsafeBytes { $0.captureUInt32(at: 0, bigEndian: false) }
        var big = false
        var nano = false
        switch magic {
        case 0xA1B2_C3D4: break
        case 0xD4C3_B2A1: big = true
        case 0xA1B2_3C4D: nano = true
        case 0x4D3C_B2A1: big = true; nano = true
        case PcapngBlockType.sectionHeader:
            guard bytes.count >= 28 else {
                throw headerError(.truncatedFileHeader(needed: 28, available: bytes.count))
            }
            let first = bytes.withUnsafeBytes { raw in
                Self.parsePcapngBlock(raw, at: 0, bigEndian: false, interfaces: [],
                                      lastTimestamp: .zero, recordNumber: 0)
            }
            guard case .section(let sectionBigEndian) = try first.get().kind else {
                throw headerError(.notACapture(firstBytes: magic))   // unreachable: type was SHB
            }
            self.bytes = bytes
            self.format = .pcapng
            self.fileLinkType = nil
            self.snapLength = 0
            self.offset = try first.get().length
            self.readCount = 0
            self.bigEndian = sectionBigEndian
            self.pcapLinkType = .ethernet
            self.pcapNanosecond = false
            self.interfaces = []
            self.interfaces.reserveCapacity(4)
            self.lastTimestamp = .zero
            self.failure = nil
            return
        default:
            let firstBytes = bytes.withUnsafeBytes { $0.captureUInt32(at: 0, bigEndian: true) }
            throw headerError(.notACapture(firstBytes: firstBytes))
        }
        guard bytes.count >= 24 else {
            throw headerError(.truncatedFileHeader(needed: 24, available: bytes.count))
        }
        let (major, minor, snap, network) = bytes.withUnsafeBytes { raw in
            (raw.captureUInt16(at: 4, bigEndian: big), raw.captureUInt16(at: 6, bigEndian: big),
             raw.captureUInt32(at: 16, bigEndian: big), raw.captureUInt32(at: 20, bigEndian: big))
        }
        guard major == 2 else {
            throw headerError(.unsupportedVersion(major: Int(major), minor: Int(minor)))
        }
        self.bytes = bytes
        self.format = .pcap
        // The upper bits of the link-type field carry FCS information, not the type.
        let linkType = LinkType(rawValue: network & 0xFFFF)
        self.fileLinkType = linkType
        self.snapLength = Int(snap)
        self.offset = 24
        self.readCount = 0
        self.bigEndian = big
        self.pcapLinkType = linkType
        self.pcapNanosecond = nano
        self.interfaces = []
        self.lastTimestamp = .zero
        self.failure = nil
    }

    /// Bytes of the file read so far (headers and records).
    @inlinable public var bytesConsumed: Int { windowStart &+ offset }
    /// Size of the whole file (for a stream of unknown size, what has been read so far).
    @inlinable public var totalBytes: Int { knownSize ?? (windowStart &+ bytes.count) }
    /// Fraction of the file read, 0...1, for a progress bar.
    @inlinable public var progress: Double {
        totalBytes == 0 ? 1 : Double(bytesConsumed) / Double(totalBytes)
    }
    /// Packet records delivered so far.
    @inlinable public var recordsRead: Int { readCount }

    /// Reads the next packet record into `record`.
    ///
    /// - Returns: `false` at a clean end of file.
    /// - Throws: ``CaptureError`` for a damaged or truncated file; the same error again on
    ///   every later call.
    /// - Complexity: O(1) per record, plus O(skipped blocks) for pcapng.
    @inlinable
    public mutating func next(into record: inout CaptureRecord) throws(CaptureError) -> Bool {
        if let failure { throw failure }
        do {
            switch format {
            case .pcap:
                if source != nil { try prepareStreamedPcapRecord() }
                if offset >= bytes.count { return false }
                return try readPcapRecord(into: &record)
            case .pcapng:
                return try readPcapngRecord(into: &record)
            }
        } catch {
            failure = error
            throw error
        }
    }

    /// Reads every remaining record. For tests and small files; the engine uses ``next(into:)``.
    public mutating func readAll() throws(CaptureError) -> [CaptureRecord] {
        var records: [CaptureRecord] = []
        var record = CaptureRecord()
        while try next(into: &record) { records.append(record) }
        return records
    }

    /// The captured bytes of `record`, as a slice of ``bytes`` (no copy).
    public func frame(of record: CaptureRecord) -> ArraySlice<UInt8> {
        bytes[record.frameRange.clamped(to: bytes.indices)]
    }

    @usableFromInline
    func error(_ reason: CaptureError.Reason, at byteOffset: Int) -> CaptureError {
        CaptureError(reason, byteOffset: windowStart &+ byteOffset, recordNumber: readCount &+ 1)
    }
}

/// Where a streaming ``CaptureReader`` gets the rest of a capture: a file, a pipe, a socket.
/// The reader asks for a chunk at a time (about 1 MiB), so memory stays bounded whatever
/// the capture's size. The type doing the reading lives with the caller, so RampartWire
/// itself never opens anything.
public protocol CaptureSource: Sendable {
    /// Reads up to `buffer.count` bytes into `buffer`; returns how many, 0 at the end.
    /// - Throws: ``CaptureError`` with reason ``CaptureError/Reason/readFailed(_:)``.
    mutating func read(into buffer: UnsafeMutableRawBufferPointer) throws(CaptureError) -> Int
    /// The whole capture's size in bytes when known (for progress), else nil.
    var size: Int? { get }
}

extension CaptureReader {
    /// Bytes read from a source at a time.
    public static let streamChunk = 1 << 20
    /// The longest block a streaming reader reads ahead for. Longer declared lengths are
    /// treated as corruption (libpcap's snap length bounds packets; other pcapng blocks are
    /// small), never as an allocation size.
    public static let maximumBlockLength = 16 << 20

    /// Streams a capture from `source`: the first chunk must hold the file header.
    ///
    /// ```swift
    /// var reader = try CaptureReader(source: FileCaptureSource(path: "big.pcap"))
    /// try engine.inspect(&reader, sink: &sink)     // memory: one chunk, not the file
    /// ```
    /// - Parameter chunk: bytes read at a time (tests use small ones to cross every boundary).
    public init(source: some CaptureSource, chunk: Int = CaptureReader.streamChunk) throws(CaptureError) {
        var source = source
        let chunk = max(chunk, 64)
        var first = [UInt8]()
        var ended = false
        // Read until a chunk is full or the source ends: the header and the first block
        // of a pcapng file must be in the first window.
        first = try Self.read(from: &source, appendingTo: first, upTo: chunk, ended: &ended)
        // A pcapng file opens with a Section Header Block, read whole by the initialiser.
        if !ended, first.count >= 12 {
            let length = first.withUnsafeBytes { raw -> Int in
                guard raw.captureUInt32(at: 0, bigEndian: false) == PcapngBlockType.sectionHeader else { return 0 }
                let big = raw.captureUInt32(at: 8, bigEndian: false) == 0x4D3C_2B1A
                return Int(raw.captureUInt32(at: 4, bigEndian: big))
            }
            if length > first.count && length <= Self.maximumBlockLength {
                first = try Self.read(from: &source, appendingTo: first, upTo: length, ended: &ended)
            }
        }
        try self.init(bytes: first)
        self.chunkSize = chunk
        self.source = source
        self.sourceEnded = ended
        self.knownSize = source.size
    }

    /// Appends up to `capacity - prefix.count` bytes of `source` to `prefix`.
    static func read(from source: inout some CaptureSource, appendingTo prefix: [UInt8], upTo capacity: Int,
                     ended: inout Bool) throws(CaptureError) -> [UInt8] {
        var failure: CaptureError?
        var endedNow = false
        let window = [UInt8](unsafeUninitializedCapacity: capacity) { buffer, initialized in
            let raw = UnsafeMutableRawBufferPointer(buffer)
            prefix.withUnsafeBytes { raw.copyMemory(from: $0) }
            var filled = prefix.count
            while filled < capacity {
                do throws(CaptureError) {
                    let n = try source.read(into: UnsafeMutableRawBufferPointer(rebasing: raw[filled...]))
                    if n == 0 { endedNow = true; break }
                    filled &+= n
                } catch {
                    failure = error
                    break
                }
            }
            initialized = filled
        }
        if let failure { throw failure }
        ended = endedNow
        return window
    }

    /// Makes `count` bytes from ``bytesConsumed`` available in ``bytes``, reading from the
    /// source when the reader streams. Returns whether they are there; a streamed window is
    /// replaced (``windowGeneration`` changes), and records point into the new one.
    @usableFromInline
    mutating func ensureAvailable(_ count: Int) throws(CaptureError) -> Bool {
        if offset &+ count <= bytes.count { return true }
        guard var source, !sourceEnded, count <= Self.maximumBlockLength else { return false }
        let tail = Array(bytes[offset...])
        var ended = false
        let window: [UInt8]
        do throws(CaptureError) {
            window = try Self.read(from: &source, appendingTo: tail, upTo: max(count, chunkSize), ended: &ended)
        } catch {
            throw CaptureError(error.reason, byteOffset: windowStart &+ bytes.count, recordNumber: readCount &+ 1)
        }
        self.source = source
        sourceEnded = ended
        windowStart &+= offset
        offset = 0
        bytes = window
        windowGeneration &+= 1
        return count <= bytes.count
    }

    /// Before a pcap record: its header and bytes in the window.
    @usableFromInline
    mutating func prepareStreamedPcapRecord() throws(CaptureError) {
        guard try ensureAvailable(16) else { return }
        let captured = bytes.withUnsafeBytes { Int($0.captureUInt32(at: offset &+ 8, bigEndian: bigEndian)) }
        if captured <= Self.maximumCapturedLength { _ = try ensureAvailable(16 &+ captured) }
    }

    /// Before a pcapng block: its whole length in the window.
    @usableFromInline
    mutating func prepareStreamedPcapngBlock() throws(CaptureError) {
        guard try ensureAvailable(12) else { return }
        let length = bytes.withUnsafeBytes { raw -> Int in
            var big = bigEndian
            if raw.captureUInt32(at: offset, bigEndian: false) == PcapngBlockType.sectionHeader {
                big = raw.captureUInt32(at: offset &+ 8, bigEndian: false) == 0x4D3C_2B1A
            }
            return Int(raw.captureUInt32(at: offset &+ 4, bigEndian: big))
        }
        if length > 12 { _ = try ensureAvailable(length) }
    }
}

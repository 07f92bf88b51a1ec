import CZlib

/// Inflates one gzip/deflate file as its compressed bytes come, across packets, handing the
/// content to the file table (`BodyInflater` inflates a whole buffered body at once; a file
/// is hashed whole, so its inflation must stream). zlib's memory comes from this inflater's
/// own region, reset for each file: nothing is allocated per packet.
final class StreamInflater {
    static let regionBytes = 64 << 10
    static let outputBytes = 16 << 10
    let region: UnsafeMutableRawPointer
    var used = 0
    let stream: UnsafeMutablePointer<z_stream>
    let output: UnsafeMutableRawPointer
    var started = false
    var rawDeflate = false
    var finished = false
    /// Content bytes written so far (a zlib header that turns out to be raw deflate is
    /// retried only while nothing was written).
    var written = 0

    init() {
        region = .allocate(byteCount: StreamInflater.regionBytes, alignment: 16)
        output = .allocate(byteCount: StreamInflater.outputBytes, alignment: 16)
        stream = .allocate(capacity: 1)
        stream.initialize(to: z_stream())
    }

    deinit {
        if started { inflateEnd(stream) }
        region.deallocate()
        output.deallocate()
        stream.deallocate()
    }

    /// Ready for a new file.
    func reset() {
        if started { inflateEnd(stream) }
        started = false
        rawDeflate = false
        finished = false
        written = 0
    }

    private func begin(windowBits: Int32) -> Bool {
        if started { inflateEnd(stream) }
        used = 0
        stream.initialize(to: z_stream())
        stream.pointee.opaque = Unmanaged.passUnretained(self).toOpaque()
        stream.pointee.zalloc = { opaque, items, size in
            let me = Unmanaged<StreamInflater>.fromOpaque(opaque!).takeUnretainedValue()
            let bytes = (Int(items) * Int(size) + 15) & ~15
            guard me.used + bytes <= StreamInflater.regionBytes else { return nil }
            let p = me.region + me.used
            me.used += bytes
            return p
        }
        stream.pointee.zfree = { _, _ in }  // the region is reset for the next file
        started = inflateInit2_(stream, windowBits, zlibVersion(), Int32(MemoryLayout<z_stream>.size)) == Z_OK
        return started
    }

    /// Inflates `input` into the table's slot; false when the stream is not gzip, zlib or
    /// raw deflate (or is corrupt).
    func feed(_ input: UnsafeRawBufferPointer, to table: FileTable, slot: Int32) -> Bool {
        if finished { return true }  // bytes after the stream's end are not content
        if !started {
            // 15 + 32: zlib or gzip, by their header; servers also send raw deflate.
            guard begin(windowBits: 15 + 32) else { return false }
        }
        if run(input, table, slot) { return true }
        guard written == 0, !rawDeflate else { return false }
        rawDeflate = true
        guard begin(windowBits: -15) else { return false }
        return run(input, table, slot)
    }

    private func run(_ input: UnsafeRawBufferPointer, _ table: FileTable, _ slot: Int32) -> Bool {
        stream.pointee.next_in = UnsafeMutablePointer(mutating: input.baseAddress!.assumingMemoryBound(to: UInt8.self))
        stream.pointee.avail_in = UInt32(clamping: input.count)
        while true {
            stream.pointee.next_out = output.assumingMemoryBound(to: UInt8.self)
            stream.pointee.avail_out = UInt32(StreamInflater.outputBytes)
            let status = CZlib.inflate(stream, Z_SYNC_FLUSH)
            let n = StreamInflater.outputBytes - Int(stream.pointee.avail_out)
            if n > 0 {
                written += n
                table.append(slot, UnsafeRawBufferPointer(start: output, count: n))
            }
            switch status {
            case Z_STREAM_END:
                finished = true
                return true
            case Z_OK:
                if stream.pointee.avail_in == 0 && stream.pointee.avail_out > 0 { return true }
            case Z_BUF_ERROR:
                return true  // needs more input
            default:
                return false
            }
        }
    }
}

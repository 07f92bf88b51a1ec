import CZlib

/// Inflates a gzip or deflate HTTP body (Content-Encoding) with Debian's zlib, so
/// `http.response_body`, `http.request_body` and `file.data` see the content, as Suricata's
/// do. zlib's memory comes from a region of this worker's, reset for each body: inflating
/// allocates nothing from the heap. The output is bounded (`capacity`): a body that inflates
/// beyond it is inspected up to there (a decompression bomb costs nothing more).
final class BodyInflater {
    /// zlib's inflate state (~7 KiB) and its 32 KiB window, with room to spare.
    static let regionBytes = 64 << 10
    let region: UnsafeMutableRawPointer
    var used = 0
    let stream: UnsafeMutablePointer<z_stream>

    init() {
        region = .allocate(byteCount: BodyInflater.regionBytes, alignment: 16)
        stream = .allocate(capacity: 1)
    }

    deinit {
        region.deallocate()
        stream.deallocate()
    }

    /// Inflates `input` into `output`; the bytes written, or nil when it is neither gzip,
    /// zlib nor raw deflate. A stream cut short (a body larger than the message buffer)
    /// gives what inflated before the cut.
    func inflate(_ input: UnsafeRawBufferPointer, into output: UnsafeMutableRawPointer, capacity: Int) -> Int? {
        guard !input.isEmpty, capacity > 0 else { return nil }
        // 15 + 32: zlib or gzip, recognised by their header; -15: a raw deflate stream, which
        // some servers send for "deflate".
        for windowBits: Int32 in [15 + 32, -15] {
            if let n = attempt(input, output, capacity, windowBits), n > 0 { return n }
        }
        return nil
    }

    private func attempt(_ input: UnsafeRawBufferPointer, _ output: UnsafeMutableRawPointer, _ capacity: Int,
                         _ windowBits: Int32) -> Int? {
        used = 0
        stream.initialize(to: z_stream())
        stream.pointee.opaque = Unmanaged.passUnretained(self).toOpaque()
        stream.pointee.zalloc = { opaque, items, size in
            let me = Unmanaged<BodyInflater>.fromOpaque(opaque!).takeUnretainedValue()
            let bytes = (Int(items) * Int(size) + 15) & ~15
            guard me.used + bytes <= BodyInflater.regionBytes else { return nil }
            let p = me.region + me.used
            me.used += bytes
            return p
        }
        stream.pointee.zfree = { _, _ in }  // the region is reset for the next body
        guard inflateInit2_(stream, windowBits, zlibVersion(), Int32(MemoryLayout<z_stream>.size)) == Z_OK else { return nil }
        defer { inflateEnd(stream) }
        stream.pointee.next_in = UnsafeMutablePointer(mutating: input.baseAddress!.assumingMemoryBound(to: UInt8.self))
        stream.pointee.avail_in = UInt32(clamping: input.count)
        stream.pointee.next_out = output.assumingMemoryBound(to: UInt8.self)
        stream.pointee.avail_out = UInt32(clamping: capacity)
        let status = CZlib.inflate(stream, Z_SYNC_FLUSH)
        let written = capacity - Int(stream.pointee.avail_out)
        switch status {
        case Z_OK, Z_STREAM_END, Z_BUF_ERROR: return written
        default: return written > 0 ? written : nil
        }
    }
}

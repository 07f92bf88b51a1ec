extension CaptureReader {
    /// Classic pcap: a 16-byte record header (seconds, fraction, captured length, original
    /// length) followed by the captured bytes. The caller has checked `offset < bytes.count`.
    @inlinable
    mutating func readPcapRecord(into record: inout CaptureRecord) throws(CaptureError) -> Bool {
        let start = offset
        let remaining = bytes.count &- start
        guard remaining >= 16 else {
            throw error(.truncatedRecordHeader(needed: 16, available: remaining), at: start)
        }
        let big = bigEndian
        let (seconds, fraction, captured32, original32) = bytes.withUnsafeBytes { raw in
            (raw.captureUInt32(at: start, bigEndian: big),
             raw.captureUInt32(at: start &+ 4, bigEndian: big),
             raw.captureUInt32(at: start &+ 8, bigEndian: big),
             raw.captureUInt32(at: start &+ 12, bigEndian: big))
        }
        let captured = Int(captured32)
        guard captured <= Self.maximumCapturedLength else {
            throw error(.capturedLengthTooLarge(declared: captured, limit: Self.maximumCapturedLength), at: start)
        }
        guard captured <= remaining &- 16 else {
            throw error(.truncatedRecord(declared: captured, available: remaining &- 16), at: start)
        }
        // Seconds are unsigned in pcap (files after 2038 stay readable).
        let nanoseconds = pcapNanosecond ? Int64(fraction) : Int64(fraction) &* 1000
        record.timestamp = Timestamp(seconds: Int64(seconds), nanoseconds: nanoseconds)
        record.linkType = pcapLinkType
        record.originalLength = Int(original32)
        record.frameOffset = start &+ 16
        record.frameLength = captured
        record.interfaceIndex = 0
        readCount &+= 1
        record.number = readCount
        offset = start &+ 16 &+ captured
        return true
    }
}

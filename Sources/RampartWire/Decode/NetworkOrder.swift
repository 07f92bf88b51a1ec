// Big-endian loads shared by every header view. Callers check bounds first: these are the
// only raw reads in the decoders, so keeping them in one place keeps the unsafe surface small.
extension UnsafeRawBufferPointer {
    /// The byte at `offset`. The caller guarantees `offset < count`.
    @inlinable @inline(__always)
    func networkUInt8(at offset: Int) -> UInt8 {
        load(fromByteOffset: offset, as: UInt8.self)
    }

    /// The big-endian 16-bit value at `offset`. The caller guarantees `offset + 2 <= count`.
    @inlinable @inline(__always)
    func networkUInt16(at offset: Int) -> UInt16 {
        UInt16(bigEndian: loadUnaligned(fromByteOffset: offset, as: UInt16.self))
    }

    /// The big-endian 32-bit value at `offset`. The caller guarantees `offset + 4 <= count`.
    @inlinable @inline(__always)
    func networkUInt32(at offset: Int) -> UInt32 {
        UInt32(bigEndian: loadUnaligned(fromByteOffset: offset, as: UInt32.self))
    }
}


/// Checks that `length` bytes at `offset` lie inside both the protocol's `end` (else the
/// header's own `tooShort` event) and the captured bytes (else `captureTruncated`: the
/// packet says it is longer than what was captured).
@inlinable @inline(__always)
func roomCheck(
    _ bytes: UnsafeRawBufferPointer, _ offset: Int, _ length: Int, _ end: Int, _ tooShort: DecodeEvent
) -> DecodeEvent? {
    if offset < 0 || offset > end || length > end &- offset { return tooShort }
    if offset > bytes.count || length > bytes.count &- offset { return .captureTruncated }
    return nil
}

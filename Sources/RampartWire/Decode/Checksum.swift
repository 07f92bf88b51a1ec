/// The Internet checksum (RFC 1071) and the uses the firewall has for it: IPv4 headers,
/// TCP/UDP/ICMPv6 with their pseudo-headers, incremental updates (RFC 1624) and finishing
/// checksums that offload left unfinished.
///
/// Values are as read from the wire (`UInt16(bigEndian:)` of the field). "Sums" are ones'
/// complement sums folded to 16 bits and not complemented; they combine with `add`.
///
/// ```swift
/// let sum = Checksum.sum(segment)
/// let field = Checksum.transport(segment, protocol: .udp, source: src, destination: dst)
/// let fixed = Checksum.update(field, oldValue: oldPort, newValue: newPort)
/// ```
public enum Checksum {
    /// Ones' complement sum of `bytes` as 16-bit big-endian words, an odd last byte padded
    /// with zero. Adds 8 bytes per step: the sum is byte-order independent (RFC 1071 §2),
    /// so words are added in machine order and swapped once at the end.
    @inlinable
    public static func sum(_ bytes: UnsafeRawBufferPointer) -> UInt16 {
        let count = bytes.count
        var accumulator: UInt64 = 0
        var i = 0
        // Splitting each 64-bit word into 32-bit halves lets a plain 64-bit add absorb the
        // carries: no overflow until 2^32 words, far beyond any packet.
        while count &- i >= 8 {
            let word = bytes.loadUnaligned(fromByteOffset: i, as: UInt64.self)
            accumulator &+= (word & 0xFFFF_FFFF) &+ (word >> 32)
            i &+= 8
        }
        if count &- i >= 4 {
            accumulator &+= UInt64(bytes.loadUnaligned(fromByteOffset: i, as: UInt32.self))
            i &+= 4
        }
        if count &- i >= 2 {
            accumulator &+= UInt64(bytes.loadUnaligned(fromByteOffset: i, as: UInt16.self))
            i &+= 2
        }
        if i < count {
            // The memory bytes [b, 0] read in machine order.
            accumulator &+= UInt64(UInt16(littleEndian: UInt16(bytes.load(fromByteOffset: i, as: UInt8.self))))
        }
        return UInt16(bigEndian: fold(accumulator))
    }

    /// Folds a wide ones' complement accumulator to 16 bits.
    @inlinable @inline(__always)
    public static func fold(_ value: UInt64) -> UInt16 {
        var v = (value & 0xFFFF_FFFF) &+ (value >> 32)
        v = (v & 0xFFFF) &+ (v >> 16)
        v = (v & 0xFFFF) &+ (v >> 16)
        v = (v & 0xFFFF) &+ (v >> 16)
        return UInt16(truncatingIfNeeded: v)
    }

    /// Ones' complement addition of two sums.
    @inlinable @inline(__always)
    public static func add(_ a: UInt16, _ b: UInt16) -> UInt16 {
        fold(UInt64(a) &+ UInt64(b))
    }

    /// The checksum to store for `bytes` (RFC 1071 example: 0x220D for its 8 bytes).
    @inlinable
    public static func internet(_ bytes: UnsafeRawBufferPointer) -> UInt16 {
        ~sum(bytes)
    }

    // MARK: IPv4 header

    /// True when the IPv4 header at `offset` (of `headerLength` bytes, in the buffer)
    /// sums to 0xFFFF with its checksum field.
    @inlinable
    public static func ipv4HeaderIsValid(_ bytes: UnsafeRawBufferPointer, at offset: Int, headerLength: Int) -> Bool {
        guard offset >= 0, headerLength >= 20, offset <= bytes.count &- headerLength else { return false }
        return sum(UnsafeRawBufferPointer(rebasing: bytes[offset ..< offset &+ headerLength])) == 0xFFFF
    }

    /// The checksum the IPv4 header at `offset` should carry (its current field ignored).
    @inlinable
    public static func ipv4Header(_ bytes: UnsafeRawBufferPointer, at offset: Int, headerLength: Int) -> UInt16 {
        guard offset >= 0, headerLength >= 20, offset <= bytes.count &- headerLength else { return 0 }
        let total = sum(UnsafeRawBufferPointer(rebasing: bytes[offset ..< offset &+ headerLength]))
        let field = UInt16(bigEndian: bytes.loadUnaligned(fromByteOffset: offset &+ 10, as: UInt16.self))
        // Take the field back out: adding its complement subtracts it in ones' complement.
        return ~add(total, ~field)
    }

    // MARK: Pseudo-headers

    /// Sum of the IPv4 or IPv6 pseudo-header (RFC 793 / RFC 8200 §8.1) for an upper-layer
    /// packet of `length` bytes. The family is taken from `source`.
    @inlinable
    public static func pseudoHeaderSum(
        source: IPAddress, destination: IPAddress, protocol: IPProtocol, length: Int
    ) -> UInt16 {
        var accumulator = UInt64(`protocol`.rawValue)
        accumulator &+= UInt64(truncatingIfNeeded: length) & 0xFFFF_FFFF
        if source.isIPv4 {
            accumulator &+= UInt64(source.ipv4Value) &+ UInt64(destination.ipv4Value)
        } else {
            accumulator &+= (source.high >> 32) &+ (source.high & 0xFFFF_FFFF)
            accumulator &+= (source.low >> 32) &+ (source.low & 0xFFFF_FFFF)
            accumulator &+= (destination.high >> 32) &+ (destination.high & 0xFFFF_FFFF)
            accumulator &+= (destination.low >> 32) &+ (destination.low & 0xFFFF_FFFF)
        }
        return fold(accumulator)
    }

    /// The byte offset of the checksum field inside a TCP, UDP, ICMPv4 or ICMPv6 header,
    /// nil for other protocols.
    @inlinable
    public static func fieldOffset(for protocol: IPProtocol) -> Int? {
        switch `protocol` {
        case .tcp: return 16
        case .udp: return 6
        case .icmp, .icmpv6: return 2
        default: return nil
        }
    }

    /// True when the TCP/UDP/ICMPv6 `segment` (header and payload, checksum field as
    /// received) verifies against its pseudo-header. ICMPv4 has no pseudo-header: pass
    /// `.icmp` to check the plain sum. A UDP checksum of 0 over IPv4 means "none" and passes.
    @inlinable
    public static func transportIsValid(
        _ segment: UnsafeRawBufferPointer, protocol: IPProtocol, source: IPAddress, destination: IPAddress
    ) -> Bool {
        if `protocol` == .udp && source.isIPv4 && segment.count >= 8
            && segment.loadUnaligned(fromByteOffset: 6, as: UInt16.self) == 0 {
            return true
        }
        let body = sum(segment)
        if `protocol` == .icmp { return body == 0xFFFF }
        let pseudo = pseudoHeaderSum(source: source, destination: destination, protocol: `protocol`, length: segment.count)
        return add(body, pseudo) == 0xFFFF
    }

    /// The checksum `segment` should carry, ignoring what its field holds now. UDP's 0 is
    /// sent as 0xFFFF (0 means "no checksum").
    @inlinable
    public static func transport(
        _ segment: UnsafeRawBufferPointer, protocol: IPProtocol, source: IPAddress, destination: IPAddress
    ) -> UInt16 {
        guard let at = fieldOffset(for: `protocol`), segment.count >= at &+ 2 else { return 0 }
        let field = UInt16(bigEndian: segment.loadUnaligned(fromByteOffset: at, as: UInt16.self))
        var total = add(sum(segment), ~field)
        if `protocol` != .icmp {
            total = add(total, pseudoHeaderSum(source: source, destination: destination, protocol: `protocol`, length: segment.count))
        }
        let result = ~total
        return `protocol` == .udp && result == 0 ? 0xFFFF : result
    }

    /// Computes and stores the checksum of the TCP/UDP/ICMP segment at `offset` (of
    /// `length` bytes) in a mutable packet: how the firewall finishes checksums that
    /// offload left unfinished (CHECKSUM_PARTIAL), and fixes them after rewriting.
    /// Returns false, writing nothing, when the segment is not inside the buffer or the
    /// protocol has no checksum we know.
    @inlinable
    @discardableResult
    public static func fill(
        _ packet: UnsafeMutableRawBufferPointer, segmentAt offset: Int, length: Int,
        protocol: IPProtocol, source: IPAddress, destination: IPAddress
    ) -> Bool {
        guard let at = fieldOffset(for: `protocol`), offset >= 0, length >= at &+ 2,
              offset <= packet.count &- length else { return false }
        let segment = UnsafeRawBufferPointer(rebasing: packet[offset ..< offset &+ length])
        let value = transport(segment, protocol: `protocol`, source: source, destination: destination)
        packet.storeBytes(of: value.bigEndian, toByteOffset: offset &+ at, as: UInt16.self)
        return true
    }

    /// Recomputes and stores the IPv4 header checksum at `offset`.
    @inlinable
    @discardableResult
    public static func fillIPv4Header(_ packet: UnsafeMutableRawBufferPointer, at offset: Int, headerLength: Int) -> Bool {
        guard offset >= 0, headerLength >= 20, offset <= packet.count &- headerLength else { return false }
        let value = ipv4Header(UnsafeRawBufferPointer(packet), at: offset, headerLength: headerLength)
        packet.storeBytes(of: value.bigEndian, toByteOffset: offset &+ 10, as: UInt16.self)
        return true
    }

    // MARK: Incremental update (RFC 1624)

    /// The new checksum after a 16-bit field covered by `checksum` changed from
    /// `oldValue` to `newValue`: HC' = ~(~HC + ~m + m') (RFC 1624, eqn. 3; RFC 1141's
    /// form goes wrong when the sum is zero).
    @inlinable
    public static func update(_ checksum: UInt16, oldValue: UInt16, newValue: UInt16) -> UInt16 {
        ~add(add(~checksum, ~oldValue), newValue)
    }

    /// The same for a 32-bit field (an IPv4 address, a sequence number).
    @inlinable
    public static func update(_ checksum: UInt16, oldValue: UInt32, newValue: UInt32) -> UInt16 {
        var accumulator = UInt64(~checksum)
        accumulator &+= UInt64(~UInt16(truncatingIfNeeded: oldValue >> 16)) &+ UInt64(~UInt16(truncatingIfNeeded: oldValue))
        accumulator &+= UInt64(newValue >> 16) &+ UInt64(newValue & 0xFFFF)
        return ~fold(accumulator)
    }
}

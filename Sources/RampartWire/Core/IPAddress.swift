/// An IPv4 or IPv6 address as a 128-bit value; IPv4 is held IPv4-mapped (`::ffff:a.b.c.d`).
///
/// One fixed-size type for both families keeps session keys, tag maps and policy tables
/// free of enums with payloads and of heap storage.
///
/// ```swift
/// let a = IPAddress("10.0.1.7")!
/// a.isIPv4            // true
/// a.description       // "10.0.1.7"
/// IPAddress("fd00::1")!.description  // "fd00::1"
/// ```
@frozen
public struct IPAddress: Hashable, Comparable, Sendable, CustomStringConvertible {
    /// The first 64 bits, most significant byte first.
    public var high: UInt64
    /// The last 64 bits, most significant byte first.
    public var low: UInt64

    @inlinable
    public init(high: UInt64, low: UInt64) {
        self.high = high
        self.low = low
    }

    /// An IPv4 address from its 32-bit value in host order (`0x0A000107` is 10.0.1.7).
    @inlinable
    public init(ipv4 value: UInt32) {
        self.high = 0
        self.low = 0x0000_FFFF_0000_0000 | UInt64(value)
    }

    /// The unspecified address of IPv6 (`::`), also used as "no address".
    public static let zero = IPAddress(high: 0, low: 0)

    @inlinable
    public var isIPv4: Bool { high == 0 && (low >> 32) == 0xFFFF }

    /// The 32-bit IPv4 value in host order; meaningful only when `isIPv4`.
    @inlinable
    public var ipv4Value: UInt32 { UInt32(truncatingIfNeeded: low) }

    @inlinable
    public static func < (lhs: IPAddress, rhs: IPAddress) -> Bool {
        lhs.high != rhs.high ? lhs.high < rhs.high : lhs.low < rhs.low
    }

    /// Reads 4 bytes in network order at `offset`. The caller guarantees the bounds.
    @inlinable
    public static func ipv4(from bytes: UnsafeRawBufferPointer, at offset: Int) -> IPAddress {
        IPAddress(ipv4: UInt32(bigEndian: bytes.loadUnaligned(fromByteOffset: offset, as: UInt32.self)))
    }

    /// Reads 16 bytes in network order at `offset`. The caller guarantees the bounds.
    @inlinable
    public static func ipv6(from bytes: UnsafeRawBufferPointer, at offset: Int) -> IPAddress {
        IPAddress(
            high: UInt64(bigEndian: bytes.loadUnaligned(fromByteOffset: offset, as: UInt64.self)),
            low: UInt64(bigEndian: bytes.loadUnaligned(fromByteOffset: offset + 8, as: UInt64.self)))
    }

    /// Writes the address in network order: 4 bytes for IPv4, 16 for IPv6.
    public func withNetworkBytes<R>(_ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
        if isIPv4 {
            var v = ipv4Value.bigEndian
            return try withUnsafeBytes(of: &v, body)
        }
        var pair = (high.bigEndian, low.bigEndian)
        return try withUnsafeBytes(of: &pair, body)
    }

    /// Parses dotted-quad IPv4 or RFC 4291 / RFC 5952 text IPv6 (`::`, embedded IPv4).
    /// Returns nil for anything else, including zone suffixes (`%eth0`).
    public init?(_ text: some StringProtocol) {
        let utf8 = Array(text.utf8)
        if utf8.isEmpty || utf8.count > 45 { return nil }
        if !utf8.contains(UInt8(ascii: ":")) {
            guard let v = IPAddress.parseIPv4(utf8[...]) else { return nil }
            self.init(ipv4: v)
            return
        }
        guard let words = IPAddress.parseIPv6(utf8) else { return nil }
        var high: UInt64 = 0
        var low: UInt64 = 0
        for i in 0..<4 { high = high << 16 | UInt64(words[i]) }
        for i in 4..<8 { low = low << 16 | UInt64(words[i]) }
        self.init(high: high, low: low)
    }

    static func parseIPv4(_ s: ArraySlice<UInt8>) -> UInt32? {
        var value: UInt32 = 0
        var octets = 0
        var current: UInt32 = 0
        var digits = 0
        for c in s {
            if c == UInt8(ascii: ".") {
                guard digits > 0, octets < 3 else { return nil }
                value = value << 8 | current
                octets += 1
                current = 0
                digits = 0
            } else if c >= UInt8(ascii: "0") && c <= UInt8(ascii: "9") {
                // Leading zeros are refused: "010" is octal to some tools and decimal to others.
                if digits == 1 && current == 0 { return nil }
                current = current * 10 + UInt32(c - UInt8(ascii: "0"))
                digits += 1
                guard current <= 255, digits <= 3 else { return nil }
            } else {
                return nil
            }
        }
        guard digits > 0, octets == 3 else { return nil }
        return value << 8 | current
    }

    static func parseIPv6(_ s: [UInt8]) -> [UInt16]? {
        // Split at "::" (at most once), parse groups on each side, fill the gap with zeros.
        var head: [UInt16] = []
        var tail: [UInt16] = []
        var sawGap = false
        var i = 0
        let n = s.count
        if n >= 2 && s[0] == UInt8(ascii: ":") && s[1] == UInt8(ascii: ":") {
            sawGap = true
            i = 2
        } else if n >= 1 && s[0] == UInt8(ascii: ":") {
            return nil
        }
        while i < n {
            // One group: hex digits, or an embedded IPv4 at the very end.
            var j = i
            while j < n && s[j] != UInt8(ascii: ":") { j += 1 }
            let group = s[i..<j]
            if group.isEmpty { return nil }
            if group.contains(UInt8(ascii: ".")) {
                guard j == n, let v4 = parseIPv4(group) else { return nil }
                let words: [UInt16] = [UInt16(v4 >> 16), UInt16(v4 & 0xFFFF)]
                if sawGap { tail += words } else { head += words }
                i = j
                break
            }
            guard group.count <= 4 else { return nil }
            var word: UInt16 = 0
            for c in group {
                guard let d = hexValue(c) else { return nil }
                word = word << 4 | UInt16(d)
            }
            if sawGap { tail.append(word) } else { head.append(word) }
            if j == n { i = j; break }
            // j points at ":"; "::" opens the gap.
            if j + 1 < n && s[j + 1] == UInt8(ascii: ":") {
                if sawGap { return nil }
                sawGap = true
                i = j + 2
            } else {
                if j + 1 == n { return nil }
                i = j + 1
            }
        }
        let count = head.count + tail.count
        if sawGap {
            guard count <= 7 else { return nil }
            return head + Array(repeating: 0, count: 8 - count) + tail
        }
        guard count == 8 else { return nil }
        return head
    }

    static func hexValue(_ c: UInt8) -> UInt8? {
        switch c {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): return c - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): return c - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): return c - UInt8(ascii: "A") + 10
        default: return nil
        }
    }

    /// Dotted quad for IPv4; RFC 5952 canonical text for IPv6.
    public var description: String {
        if isIPv4 {
            let v = ipv4Value
            return "\(v >> 24).\((v >> 16) & 0xFF).\((v >> 8) & 0xFF).\(v & 0xFF)"
        }
        var words = [UInt16](repeating: 0, count: 8)
        for i in 0..<4 {
            words[i] = UInt16(truncatingIfNeeded: high >> (48 - 16 * UInt64(i)))
            words[i + 4] = UInt16(truncatingIfNeeded: low >> (48 - 16 * UInt64(i)))
        }
        // Longest run of two or more zero words becomes "::" (first one on a tie).
        var bestStart = -1
        var bestLength = 1
        var i = 0
        while i < 8 {
            if words[i] == 0 {
                var j = i
                while j < 8 && words[j] == 0 { j += 1 }
                if j - i > bestLength { bestStart = i; bestLength = j - i }
                i = j
            } else {
                i += 1
            }
        }
        func hex(_ w: UInt16) -> String { String(w, radix: 16) }
        if bestStart < 0 { return words.map(hex).joined(separator: ":") }
        let left = words[0..<bestStart].map(hex).joined(separator: ":")
        let right = words[(bestStart + bestLength)...].map(hex).joined(separator: ":")
        return left + "::" + right
    }
}

/// An address prefix such as `10.0.0.0/8` or `fd00::/64`.
///
/// ```swift
/// let net = IPNetwork("10.1.0.0/16")!
/// net.contains(IPAddress("10.1.2.3")!)  // true
/// ```
@frozen
public struct IPNetwork: Hashable, Sendable, CustomStringConvertible {
    /// The first address of the prefix (host bits cleared).
    public var address: IPAddress
    /// Prefix length in the address's own family: 0...32 for IPv4, 0...128 for IPv6.
    public var prefixLength: Int

    /// Builds a prefix, clearing the host bits of `address`.
    /// Returns nil when the length is out of range for the family.
    public init?(address: IPAddress, prefixLength: Int) {
        let maxLength = address.isIPv4 ? 32 : 128
        guard prefixLength >= 0, prefixLength <= maxLength else { return nil }
        self.prefixLength = prefixLength
        let bits = address.isIPv4 ? prefixLength + 96 : prefixLength
        let mask = IPNetwork.mask(bits: bits)
        self.address = IPAddress(high: address.high & mask.high, low: address.low & mask.low)
    }

    /// Parses `ADDRESS/LENGTH`, or a bare address as a host prefix.
    public init?(_ text: some StringProtocol) {
        if let slash = text.firstIndex(of: "/") {
            guard let address = IPAddress(text[..<slash]),
                  let length = Int(text[text.index(after: slash)...]) else { return nil }
            self.init(address: address, prefixLength: length)
        } else {
            guard let address = IPAddress(text) else { return nil }
            self.init(address: address, prefixLength: address.isIPv4 ? 32 : 128)
        }
    }

    /// The prefix length counted over 128 bits (IPv4 prefixes gain 96).
    @inlinable
    public var prefixLength128: Int { address.isIPv4 ? prefixLength + 96 : prefixLength }

    /// The last address of the prefix.
    public var lastAddress: IPAddress {
        let mask = IPNetwork.mask(bits: prefixLength128)
        return IPAddress(high: address.high | ~mask.high, low: address.low | ~mask.low)
    }

    @inlinable
    public func contains(_ candidate: IPAddress) -> Bool {
        guard candidate.isIPv4 == address.isIPv4 else { return false }
        let mask = IPNetwork.mask(bits: prefixLength128)
        return candidate.high & mask.high == address.high && candidate.low & mask.low == address.low
    }

    @inlinable
    static func mask(bits: Int) -> (high: UInt64, low: UInt64) {
        let high: UInt64 = bits >= 64 ? ~0 : (bits == 0 ? 0 : ~0 << UInt64(64 - bits))
        let lowBits = bits - 64
        let low: UInt64 = lowBits >= 64 ? ~0 : (lowBits <= 0 ? 0 : ~0 << UInt64(64 - lowBits))
        return (high, low)
    }

    public var description: String { "\(address)/\(prefixLength)" }
}

#if canImport(Glibc)
import Glibc
#endif

/// The two address families the rtnetlink client speaks.
///
/// ```swift
/// let rules = try socket.rules(family: .ipv6)
/// ```
public enum NetlinkAddressFamily: Sendable, Hashable, CustomStringConvertible {
    case ipv4, ipv6

    var rawValue: UInt8 { self == .ipv4 ? AddressFamilyValue.inet : AddressFamilyValue.inet6 }
    var byteCount: Int { self == .ipv4 ? 4 : 16 }

    init?(rawValue: UInt8) {
        switch rawValue {
        case AddressFamilyValue.inet: self = .ipv4
        case AddressFamilyValue.inet6: self = .ipv6
        default: return nil
        }
    }

    public var description: String { self == .ipv4 ? "inet" : "inet6" }
}

/// An IPv4 or IPv6 address as the kernel carries it: 4 or 16 bytes in network order.
/// RampartNetlink's own minimal type; convert at the call site from `IPAddress` via text.
///
/// ```swift
/// let gateway = NetlinkAddress("10.0.0.1")!
/// NetlinkAddress("fd00::1")!.family   // .ipv6
/// ```
public struct NetlinkAddress: Sendable, Hashable, CustomStringConvertible {
    /// Network-order bytes, 4 for IPv4 and 16 for IPv6.
    public let bytes: [UInt8]

    /// The address family implied by the byte count.
    public var family: NetlinkAddressFamily { bytes.count == 4 ? .ipv4 : .ipv6 }

    /// Parses dotted-quad IPv4 or textual IPv6; nil for anything else.
    ///
    /// ```swift
    /// NetlinkAddress("192.0.2.1")   // IPv4
    /// ```
    public init?(_ text: String) {
        var buffer = [UInt8](repeating: 0, count: 16)
        if inet_pton(AF_INET, text, &buffer) == 1 {
            bytes = Array(buffer[0..<4])
        } else if inet_pton(AF_INET6, text, &buffer) == 1 {
            bytes = buffer
        } else {
            return nil
        }
    }

    /// An address from network-order bytes; nil unless there are exactly 4 or 16.
    ///
    /// ```swift
    /// NetlinkAddress(bytes: [10, 0, 0, 1])
    /// ```
    public init?(bytes: [UInt8]) {
        guard bytes.count == 4 || bytes.count == 16 else { return nil }
        self.bytes = bytes
    }

    /// The unspecified address of `family` (`0.0.0.0` or `::`).
    ///
    /// ```swift
    /// NetlinkAddress.unspecified(.ipv6).description   // "::"
    /// ```
    public static func unspecified(_ family: NetlinkAddressFamily) -> NetlinkAddress {
        NetlinkAddress(uncheckedBytes: [UInt8](repeating: 0, count: family.byteCount))
    }

    init(uncheckedBytes: [UInt8]) { bytes = uncheckedBytes }

    public var description: String {
        var text = [CChar](repeating: 0, count: 64)
        let af = bytes.count == 4 ? AF_INET : AF_INET6
        guard inet_ntop(af, bytes, &text, socklen_t(text.count)) != nil else { return "?" }
        return String(decoding: text.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}

/// An address with a prefix length: a route destination, a rule selector, an interface
/// address. Host bits are kept as given (an interface address keeps them).
///
/// ```swift
/// let net = NetlinkPrefix("10.1.0.0/16")!
/// let all = NetlinkPrefix.defaultRoute(.ipv6)   // ::/0
/// ```
public struct NetlinkPrefix: Sendable, Hashable, CustomStringConvertible {
    public let address: NetlinkAddress
    public let length: UInt8

    /// Parses `address/length`; a bare address gets the full length (/32 or /128).
    ///
    /// ```swift
    /// NetlinkPrefix("fd00:1::/64")
    /// ```
    public init?(_ text: String) {
        let parts = text.split(separator: "/", maxSplits: 1, omittingEmptySubsequences: false)
        guard let address = NetlinkAddress(String(parts[0])) else { return nil }
        if parts.count == 2 {
            guard let length = UInt8(parts[1]) else { return nil }
            self.init(address: address, length: length)
        } else {
            self.init(address: address, length: UInt8(address.bytes.count * 8))
        }
    }

    /// A prefix from parts; nil when `length` exceeds the family's bit count.
    ///
    /// ```swift
    /// NetlinkPrefix(address: NetlinkAddress("10.0.0.0")!, length: 8)
    /// ```
    public init?(address: NetlinkAddress, length: UInt8) {
        guard Int(length) <= address.bytes.count * 8 else { return nil }
        self.address = address
        self.length = length
    }

    /// `0.0.0.0/0` or `::/0`.
    ///
    /// ```swift
    /// Route(destination: .defaultRoute(.ipv4), outputInterface: 2, table: 100)
    /// ```
    public static func defaultRoute(_ family: NetlinkAddressFamily) -> NetlinkPrefix {
        NetlinkPrefix(unchecked: .unspecified(family), length: 0)
    }

    init(unchecked address: NetlinkAddress, length: UInt8) {
        self.address = address
        self.length = length
    }

    public var family: NetlinkAddressFamily { address.family }
    public var isDefault: Bool { length == 0 }

    public var description: String { length == 0 ? "default" : "\(address)/\(length)" }
}

/// A 6-byte Ethernet address.
///
/// ```swift
/// let mac = MACAddress("02:00:00:00:00:01")!
/// MACAddress.zero.description   // "00:00:00:00:00:00"
/// ```
public struct MACAddress: Sendable, Hashable, CustomStringConvertible {
    public let bytes: [UInt8]

    /// Parses six colon-separated hex octets.
    ///
    /// ```swift
    /// MACAddress("aa:bb:cc:dd:ee:ff")
    /// ```
    public init?(_ text: String) {
        let parts = text.split(separator: ":", omittingEmptySubsequences: false)
        guard parts.count == 6 else { return nil }
        var bytes: [UInt8] = []
        for part in parts {
            guard part.count == 2, let octet = UInt8(part, radix: 16) else { return nil }
            bytes.append(octet)
        }
        self.bytes = bytes
    }

    /// An address from raw bytes; nil unless there are exactly 6.
    ///
    /// ```swift
    /// MACAddress(bytes: [2, 0, 0, 0, 0, 1])
    /// ```
    public init?(bytes: [UInt8]) {
        guard bytes.count == 6 else { return nil }
        self.bytes = bytes
    }

    /// `00:00:00:00:00:00`, the FDB key for "all unknown destinations" on a VXLAN device.
    public static let zero = MACAddress(uncheckedBytes: [0, 0, 0, 0, 0, 0])

    init(uncheckedBytes: [UInt8]) { bytes = uncheckedBytes }

    public var description: String {
        bytes.map { byte in
            let hex = String(byte, radix: 16)
            return hex.count == 1 ? "0" + hex : hex
        }.joined(separator: ":")
    }
}

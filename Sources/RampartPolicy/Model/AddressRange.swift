import RampartWire

/// A contiguous block of addresses of one family: a host, a CIDR or `first-last`.
///
/// ```swift
/// AddressRange(parsing: "10.0.0.5-10.0.0.20")!.contains(IPAddress("10.0.0.7")!)  // true
/// AddressRange(parsing: "fd00::/64")!.last  // fd00::ffff:ffff:ffff:ffff
/// ```
public struct AddressRange: Hashable, Sendable, CustomStringConvertible {
    public var first: IPAddress
    public var last: IPAddress

    public init(first: IPAddress, last: IPAddress) {
        self.first = first
        self.last = last
    }

    public init(_ network: IPNetwork) {
        self.first = network.address
        self.last = network.lastAddress
    }

    /// Every IPv4 address, and every IPv6 address (IPv4-mapped space excluded) — `any`.
    public static let allIPv4 = AddressRange(first: IPAddress(ipv4: 0), last: IPAddress(ipv4: .max))
    public static let everything = AddressRange(first: .zero, last: IPAddress(high: .max, low: .max))

    public func contains(_ a: IPAddress) -> Bool { !(a < first) && !(last < a) }

    /// The IPv4 space as `IPAddress` holds it (IPv4-mapped, `::ffff:0:0/96`).
    static let ipv4Block = AddressRange(first: IPAddress(ipv4: 0), last: IPAddress(ipv4: .max))

    /// This range with the IPv4 space cut out when it is an IPv6 range, so that `::/0`
    /// means every IPv6 address and no IPv4 one (as `IPNetwork.contains` does).
    public var withinFamily: [AddressRange] {
        if first.isIPv4 { return [self] }
        let b = AddressRange.ipv4Block
        if last < b.first || b.last < first { return [self] }
        var out: [AddressRange] = []
        if first < b.first { out.append(AddressRange(first: first, last: IPAddress(high: b.first.high, low: b.first.low &- 1))) }
        if b.last < last, let next = b.last.successor { out.append(AddressRange(first: next, last: last)) }
        return out
    }

    /// Parses a host, `ADDR/LEN` or `FIRST-LAST`; `problem(in:)` says why not.
    public init?(parsing text: String) {
        guard case .success(let r) = AddressRange.parse(text) else { return nil }
        self = r
    }

    public static func parse(_ text: String) -> Result<AddressRange, AddressRangeError> {
        if text.utf8.count > 100 { return .failure(.init("address is too long")) }
        if let dash = text.firstIndex(of: "-") {
            let a = text[..<dash], b = text[text.index(after: dash)...]
            guard let lo = IPAddress(a) else { return .failure(.init("'\(a)' is not an IP address")) }
            guard let hi = IPAddress(b) else { return .failure(.init("'\(b)' is not an IP address")) }
            guard lo.isIPv4 == hi.isIPv4 else { return .failure(.init("a range's ends must be of the same family")) }
            guard !(hi < lo) else { return .failure(.init("a range's first address must not be above its last")) }
            return .success(AddressRange(first: lo, last: hi))
        }
        if let slash = text.firstIndex(of: "/") {
            let a = text[..<slash], l = text[text.index(after: slash)...]
            guard let addr = IPAddress(a) else { return .failure(.init("'\(a)' is not an IP address")) }
            let maxLen = addr.isIPv4 ? 32 : 128
            guard let len = Int(l), len >= 0, len <= maxLen, l.allSatisfy({ $0.isASCII && $0.isNumber }) else {
                return .failure(.init("prefix length '\(l)' must be 0...\(maxLen)"))
            }
            guard let net = IPNetwork(address: addr, prefixLength: len) else { return .failure(.init("bad prefix")) }
            if net.address != addr {
                return .failure(.init("'\(text)' has host bits set; the network is \(net)"))
            }
            return .success(AddressRange(net))
        }
        guard let addr = IPAddress(text) else {
            return .failure(.init("'\(text.prefix(64))' is not an IP address, CIDR or range"))
        }
        return .success(AddressRange(first: addr, last: addr))
    }

    public var description: String {
        if first == last { return first.description }
        return "\(first)-\(last)"
    }
}

public struct AddressRangeError: Error, Hashable, Sendable {
    public var message: String
    init(_ m: String) { message = m }
}

import RampartWire

/// What a rule does when it matches (Suricata 7's actions; `config` is not supported).
public enum RuleAction: String, Hashable, Sendable, CaseIterable {
    case alert, drop, pass, reject, rejectsrc, rejectdst, rejectboth

    /// Whether the action stops the offending packet (and, for the reject family, answers it).
    public var blocks: Bool { self != .alert && self != .pass }
}

/// The protocol field of the header: a network protocol, or an application protocol that
/// App-ID identifies (then the rule applies to that application whatever its port).
public enum RuleProtocol: Hashable, Sendable, CustomStringConvertible {
    /// `ip` (also `pkthdr`): every packet.
    case ip
    case tcp, udp, icmp, icmpv4, icmpv6, sctp, ipv4, ipv6
    /// `tcp-pkt`: TCP, packets only (never the reassembled stream).
    case tcpPacket
    /// `tcp-stream`: TCP, the reassembled stream only.
    case tcpStream
    case application(AppLayerProtocol)

    init?(keyword: String) {
        switch keyword.lowercased() {
        case "ip", "pkthdr": self = .ip
        case "tcp": self = .tcp
        case "udp": self = .udp
        case "icmp": self = .icmp
        case "icmpv4": self = .icmpv4
        case "icmpv6": self = .icmpv6
        case "sctp": self = .sctp
        case "ipv4", "ip4": self = .ipv4
        case "ipv6", "ip6": self = .ipv6
        case "tcp-pkt": self = .tcpPacket
        case "tcp-stream": self = .tcpStream
        default:
            guard let app = AppLayerProtocol(rawValue: keyword.lowercased()) else { return nil }
            self = .application(app)
        }
    }

    public var description: String {
        switch self {
        case .ip: "ip"
        case .tcp: "tcp"
        case .udp: "udp"
        case .icmp: "icmp"
        case .icmpv4: "icmpv4"
        case .icmpv6: "icmpv6"
        case .sctp: "sctp"
        case .ipv4: "ipv4"
        case .ipv6: "ipv6"
        case .tcpPacket: "tcp-pkt"
        case .tcpStream: "tcp-stream"
        case .application(let a): a.rawValue
        }
    }
}

/// The application protocols a Suricata 7 rule header may name (`app-layer-protos.c`).
public enum AppLayerProtocol: String, Hashable, Sendable, CaseIterable {
    /// HTTP/1 or HTTP/2 (Suricata's `http`, internally "http_any").
    case http
    case http1, http2, ftp, smtp, tls, ssh, imap, smb, dcerpc, dns, modbus, enip, dnp3, nfs, ntp
    case ftpData = "ftp-data"
    case tftp, ike, krb5, quic, dhcp, snmp, sip, rfb, mqtt, pgsql, telnet, rdp
    case bittorrentDHT = "bittorrent-dht"

    /// Whether a rule for `self` and a keyword that needs `other` can live in one rule
    /// (`http` covers `http1` and `http2`).
    public func isCompatible(with other: AppLayerProtocol) -> Bool {
        if self == other { return true }
        if self == .http { return other == .http1 || other == .http2 }
        if other == .http { return self == .http1 || self == .http2 }
        return false
    }

    /// The narrower of two compatible protocols (`http` and `http1` give `http1`).
    func narrowed(with other: AppLayerProtocol) -> AppLayerProtocol { self == .http ? other : self }
}

/// `->` (from source to destination) or `<>` (either way).
public enum RuleDirection: String, Hashable, Sendable {
    case toDestination = "->"
    case either = "<>"
}

/// An address field as written: `any`, an address, a network or a range, a variable,
/// a group `[...]`, and `!` before any of them. Resolved into an `AddressSet` with the
/// rule set's variables (`RuleVariables`).
public indirect enum AddressSpec: Hashable, Sendable, CustomStringConvertible {
    case any
    case block(AddressBlock)
    case variable(String)
    case group([AddressSpec])
    case negated(AddressSpec)

    public var description: String {
        switch self {
        case .any: "any"
        case .block(let b): b.description
        case .variable(let v): "$\(v)"
        case .group(let items): "[" + items.map(\.description).joined(separator: ",") + "]"
        case .negated(let s): "!" + s.description
        }
    }
}

/// A port field as written: `any`, a port, a range `a:b` (`a:` and `:b` open), a variable,
/// a group, and `!` before any of them.
public indirect enum PortSpec: Hashable, Sendable, CustomStringConvertible {
    case any
    case range(ClosedRange<UInt16>)
    case variable(String)
    case group([PortSpec])
    case negated(PortSpec)

    public var description: String {
        switch self {
        case .any: "any"
        case .range(let r): r.lowerBound == r.upperBound ? "\(r.lowerBound)" : "\(r.lowerBound):\(r.upperBound)"
        case .variable(let v): "$\(v)"
        case .group(let items): "[" + items.map(\.description).joined(separator: ",") + "]"
        case .negated(let s): "!" + s.description
        }
    }
}

/// A contiguous block of addresses of one family (a host, a network, or `first-last`).
public struct AddressBlock: Hashable, Sendable, Comparable, CustomStringConvertible {
    public var first: IPAddress
    public var last: IPAddress

    public init(first: IPAddress, last: IPAddress) {
        self.first = first
        self.last = last
    }

    public static func < (a: AddressBlock, b: AddressBlock) -> Bool {
        a.first == b.first ? a.last < b.last : a.first < b.first
    }

    public func contains(_ address: IPAddress) -> Bool { !(address < first) && !(last < address) }

    public var description: String { first == last ? first.description : "\(first)-\(last)" }

    /// Every IPv4 address (IPv4-mapped, as `IPAddress` stores them).
    public static let allIPv4 = AddressBlock(first: IPAddress(ipv4: 0), last: IPAddress(ipv4: .max))
}

/// The addresses a header field stands for once variables are resolved: sorted, disjoint
/// blocks, so a matcher can binary-search them without allocating.
public struct AddressSet: Hashable, Sendable, CustomStringConvertible {
    /// Sorted by `first`, disjoint and not adjacent.
    public private(set) var blocks: [AddressBlock]

    public init(blocks: [AddressBlock]) { self.blocks = AddressSet.normalized(blocks) }

    /// Every IPv4 and IPv6 address.
    public static let any = AddressSet(blocks: [AddressBlock(first: .zero, last: IPAddress(high: .max, low: .max))])

    public var isAny: Bool { self == .any }
    public var isEmpty: Bool { blocks.isEmpty }

    /// O(log n).
    public func contains(_ address: IPAddress) -> Bool {
        var lo = 0, hi = blocks.count
        while lo < hi {
            let mid = (lo + hi) / 2
            if blocks[mid].last < address { lo = mid + 1 } else { hi = mid }
        }
        return lo < blocks.count && blocks[lo].contains(address)
    }

    public func union(_ other: AddressSet) -> AddressSet { AddressSet(blocks: blocks + other.blocks) }

    /// The addresses of `any` not in `self`.
    public var complement: AddressSet {
        var out: [AddressBlock] = []
        var next: IPAddress? = .zero
        for b in blocks {
            if let n = next, n < b.first, let end = b.first.predecessor { out.append(AddressBlock(first: n, last: end)) }
            next = b.last.successor
        }
        if let n = next { out.append(AddressBlock(first: n, last: IPAddress(high: .max, low: .max))) }
        return AddressSet(blocks: out)
    }

    public func subtracting(_ other: AddressSet) -> AddressSet { intersection(other.complement) }

    public func intersection(_ other: AddressSet) -> AddressSet {
        var out: [AddressBlock] = []
        var i = 0, j = 0
        while i < blocks.count && j < other.blocks.count {
            let a = blocks[i], b = other.blocks[j]
            let lo = max(a.first, b.first), hi = min(a.last, b.last)
            if !(hi < lo) { out.append(AddressBlock(first: lo, last: hi)) }
            if a.last < b.last { i += 1 } else { j += 1 }
        }
        return AddressSet(blocks: out)
    }

    static func normalized(_ input: [AddressBlock]) -> [AddressBlock] {
        guard input.count > 1 else { return input }
        let sorted = input.sorted()
        var out: [AddressBlock] = [sorted[0]]
        for b in sorted.dropFirst() {
            let last = out[out.count - 1]
            if let after = last.last.successor, b.first <= after {
                if last.last < b.last { out[out.count - 1].last = b.last }
            } else if last.last.successor == nil {
                continue  // the previous block already runs to the end of the space
            } else {
                out.append(b)
            }
        }
        return out
    }

    public var description: String {
        if isAny { return "any" }
        return "[" + blocks.map(\.description).joined(separator: ",") + "]"
    }
}

/// The ports a header field stands for once variables are resolved: sorted, disjoint ranges.
public struct PortSet: Hashable, Sendable, CustomStringConvertible {
    public private(set) var ranges: [ClosedRange<UInt16>]

    public init(ranges: [ClosedRange<UInt16>]) {
        let sorted = ranges.sorted { $0.lowerBound < $1.lowerBound }
        var out: [ClosedRange<UInt16>] = []
        for r in sorted {
            if let last = out.last, Int(r.lowerBound) <= Int(last.upperBound) + 1 {
                out[out.count - 1] = last.lowerBound...max(last.upperBound, r.upperBound)
            } else {
                out.append(r)
            }
        }
        self.ranges = out
    }

    public static let any = PortSet(ranges: [0...UInt16.max])
    public var isAny: Bool { self == .any }
    public var isEmpty: Bool { ranges.isEmpty }

    public func contains(_ port: UInt16) -> Bool {
        var lo = 0, hi = ranges.count
        while lo < hi {
            let mid = (lo + hi) / 2
            if ranges[mid].upperBound < port { lo = mid + 1 } else { hi = mid }
        }
        return lo < ranges.count && ranges[lo].contains(port)
    }

    public func union(_ other: PortSet) -> PortSet { PortSet(ranges: ranges + other.ranges) }

    public var complement: PortSet {
        var out: [ClosedRange<UInt16>] = []
        var next = 0
        for r in ranges {
            if next < Int(r.lowerBound) { out.append(UInt16(next)...(r.lowerBound - 1)) }
            next = Int(r.upperBound) + 1
        }
        if next <= Int(UInt16.max) { out.append(UInt16(next)...UInt16.max) }
        return PortSet(ranges: out)
    }

    public func subtracting(_ other: PortSet) -> PortSet {
        let keep = other.complement
        var out: [ClosedRange<UInt16>] = []
        for a in ranges {
            for b in keep.ranges where a.overlaps(b) {
                out.append(max(a.lowerBound, b.lowerBound)...min(a.upperBound, b.upperBound))
            }
        }
        return PortSet(ranges: out)
    }

    public var description: String {
        if isAny { return "any" }
        return "[" + ranges.map { $0.lowerBound == $0.upperBound ? "\($0.lowerBound)" : "\($0.lowerBound):\($0.upperBound)" }
            .joined(separator: ",") + "]"
    }
}

extension IPAddress {
    /// The next address in the 128-bit space, nil after the last.
    var successor: IPAddress? {
        if low == .max { return high == .max ? nil : IPAddress(high: high + 1, low: 0) }
        return IPAddress(high: high, low: low + 1)
    }

    /// The previous address in the 128-bit space, nil before `::`.
    var predecessor: IPAddress? {
        if low == 0 { return high == 0 ? nil : IPAddress(high: high - 1, low: .max) }
        return IPAddress(high: high, low: low - 1)
    }
}

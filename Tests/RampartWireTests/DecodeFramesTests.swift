import Testing
@testable import RampartWire

/// Hand-made frames for the decoder tests, with checksums computed by a byte-at-a-time
/// RFC 1071 reference independent of `Checksum`.
enum Frames {
    static let v4Source: [UInt8] = [10, 0, 0, 1]
    static let v4Destination: [UInt8] = [10, 0, 0, 2]
    static let v6Source: [UInt8] = [0xFD, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1]
    static let v6Destination: [UInt8] = [0xFD, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2]

    static func be16(_ v: UInt16) -> [UInt8] { [UInt8(v >> 8), UInt8(v & 0xFF)] }
    static func be32(_ v: UInt32) -> [UInt8] { be16(UInt16(v >> 16)) + be16(UInt16(v & 0xFFFF)) }

    /// RFC 1071 done the slow, obvious way.
    static func referenceChecksum(_ bytes: [UInt8]) -> UInt16 {
        var sum: UInt32 = 0
        var i = 0
        while i < bytes.count {
            let high = UInt32(bytes[i]) << 8
            let low = i + 1 < bytes.count ? UInt32(bytes[i + 1]) : 0
            sum += high | low
            i += 2
        }
        while sum > 0xFFFF { sum = (sum & 0xFFFF) + (sum >> 16) }
        return ~UInt16(sum)
    }

    static func pseudoHeader(source: [UInt8], destination: [UInt8], protocol: UInt8, length: Int) -> [UInt8] {
        if source.count == 4 { return source + destination + [0, `protocol`] + be16(UInt16(length)) }
        return source + destination + be32(UInt32(length)) + [0, 0, 0, `protocol`]
    }

    /// Stores the reference checksum of `pseudo + segment` at `field` in `segment`.
    static func withChecksum(_ segment: [UInt8], field: Int, pseudo: [UInt8]) -> [UInt8] {
        var s = segment
        s[field] = 0
        s[field + 1] = 0
        var value = referenceChecksum(pseudo + s)
        if value == 0 && field == 6 { value = 0xFFFF }  // UDP sends 0 as all ones
        s[field] = UInt8(value >> 8)
        s[field + 1] = UInt8(value & 0xFF)
        return s
    }

    static func ethernet(_ etherType: UInt16, _ payload: [UInt8], tags: [(tpid: UInt16, vid: UInt16)] = []) -> [UInt8] {
        var f: [UInt8] = [0x02, 0, 0, 0, 0, 0x02, 0x02, 0, 0, 0, 0, 0x01]
        for tag in tags { f += be16(tag.tpid) + be16(tag.vid) }
        return f + be16(etherType) + payload
    }

    static func ipv4(
        _ proto: UInt8, _ payload: [UInt8], source: [UInt8] = v4Source, destination: [UInt8] = v4Destination,
        options: [UInt8] = [], identification: UInt16 = 0x1234, flagsAndOffset: UInt16 = 0x4000,
        ttl: UInt8 = 64, totalLength: Int? = nil, versionIHL: UInt8? = nil
    ) -> [UInt8] {
        let headerLength = 20 + options.count
        let total = totalLength ?? headerLength + payload.count
        var h: [UInt8] = [versionIHL ?? UInt8(0x40 | headerLength / 4), 0] + be16(UInt16(total))
        h += be16(identification) + be16(flagsAndOffset) + [ttl, proto, 0, 0] + source + destination + options
        let c = referenceChecksum(h)
        h[10] = UInt8(c >> 8)
        h[11] = UInt8(c & 0xFF)
        return h + payload
    }

    static func ipv6(
        _ next: UInt8, _ payload: [UInt8], source: [UInt8] = v6Source, destination: [UInt8] = v6Destination,
        payloadLength: Int? = nil, hopLimit: UInt8 = 64
    ) -> [UInt8] {
        [0x60, 0x01, 0x23, 0x45] + be16(UInt16(payloadLength ?? payload.count)) + [next, hopLimit]
            + source + destination + payload
    }

    static func tcp(
        sourcePort: UInt16 = 40000, destinationPort: UInt16 = 443, sequence: UInt32 = 1000, acknowledgment: UInt32 = 0,
        flags: UInt8 = 0x02, window: UInt16 = 65535, options: [UInt8] = [], payload: [UInt8] = [], dataOffset: UInt8? = nil
    ) -> [UInt8] {
        let words = dataOffset ?? UInt8((20 + options.count) / 4)
        return be16(sourcePort) + be16(destinationPort) + be32(sequence) + be32(acknowledgment)
            + [words << 4, flags] + be16(window) + [0, 0, 0, 0] + options + payload
    }

    static func udp(sourcePort: UInt16 = 50000, destinationPort: UInt16 = 53, payload: [UInt8] = [], length: Int? = nil) -> [UInt8] {
        be16(sourcePort) + be16(destinationPort) + be16(UInt16(length ?? 8 + payload.count)) + [0, 0] + payload
    }

    static func icmp(type: UInt8, code: UInt8 = 0, rest: UInt32 = 0, payload: [UInt8] = []) -> [UInt8] {
        [type, code, 0, 0] + be32(rest) + payload
    }

    // Whole frames.

    static let synOptions: [UInt8] = [2, 4, 0x05, 0xB4, 4, 2, 8, 10, 0, 0, 0, 1, 0, 0, 0, 0, 1, 3, 3, 7]

    static func tcpIPv4(options: [UInt8] = synOptions, payload: [UInt8] = [], flags: UInt8 = 0x02) -> [UInt8] {
        let segment = tcp(flags: flags, options: options, payload: payload)
        let pseudo = pseudoHeader(source: v4Source, destination: v4Destination, protocol: 6, length: segment.count)
        return ethernet(0x0800, ipv4(6, withChecksum(segment, field: 16, pseudo: pseudo)))
    }

    static func tcpIPv6(payload: [UInt8] = Array("hello".utf8)) -> [UInt8] {
        let segment = tcp(flags: 0x18, options: [1, 1, 8, 10, 0, 0, 0, 9, 0, 0, 0, 8], payload: payload)
        let pseudo = pseudoHeader(source: v6Source, destination: v6Destination, protocol: 6, length: segment.count)
        return ethernet(0x86DD, ipv6(6, withChecksum(segment, field: 16, pseudo: pseudo)))
    }

    static func udpIPv4(destinationPort: UInt16 = 53, payload: [UInt8] = [1, 2, 3, 4, 5]) -> [UInt8] {
        let segment = udp(destinationPort: destinationPort, payload: payload)
        let pseudo = pseudoHeader(source: v4Source, destination: v4Destination, protocol: 17, length: segment.count)
        return ethernet(0x0800, ipv4(17, withChecksum(segment, field: 6, pseudo: pseudo)))
    }

    static func udpIPv6(payload: [UInt8] = [9, 8, 7]) -> [UInt8] {
        let segment = udp(payload: payload)
        let pseudo = pseudoHeader(source: v6Source, destination: v6Destination, protocol: 17, length: segment.count)
        return ethernet(0x86DD, ipv6(17, withChecksum(segment, field: 6, pseudo: pseudo)))
    }

    static func icmpv4Echo() -> [UInt8] {
        ethernet(0x0800, ipv4(1, withChecksum(icmp(type: 8, rest: 0xBEEF_0001, payload: [0xAA, 0xBB]), field: 2, pseudo: [])))
    }

    static func icmpv6Echo() -> [UInt8] {
        let message = icmp(type: 128, rest: 0xCAFE_0002, payload: [1, 2, 3])
        let pseudo = pseudoHeader(source: v6Source, destination: v6Destination, protocol: 58, length: message.count)
        return ethernet(0x86DD, ipv6(58, withChecksum(message, field: 2, pseudo: pseudo)))
    }

    static let outerSource: [UInt8] = [192, 168, 1, 10]
    static let outerDestination: [UInt8] = [192, 168, 1, 20]

    /// An outer Ethernet/IPv4/UDP datagram to `port` carrying `tunnelHeader + inner`.
    static func tunnel(port: UInt16, header: [UInt8], inner: [UInt8]) -> [UInt8] {
        let datagram = udp(sourcePort: 33333, destinationPort: port, payload: header + inner)
        return ethernet(0x0800, ipv4(17, datagram, source: outerSource, destination: outerDestination))
    }

    static func vxlanHeader(vni: UInt32, flags: UInt8 = 0x08) -> [UInt8] {
        [flags, 0, 0, 0] + be32(vni << 8)
    }

    static func geneveHeader(vni: UInt32, options: [UInt8] = [], version: UInt8 = 0, protocolType: UInt16 = 0x6558) -> [UInt8] {
        [version << 6 | UInt8(options.count / 4), 0] + be16(protocolType) + be32(vni << 8) + options
    }

    /// Valid frames of every kind with their link types, for the robustness tests.
    static var allValid: [(name: String, bytes: [UInt8], link: LinkType)] {
        let v4 = Array(tcpIPv4(payload: [1, 2, 3]).dropFirst(14))
        let v6 = Array(tcpIPv6().dropFirst(14))
        let sll: [UInt8] = [0, 0, 0, 1, 0, 6, 2, 0, 0, 0, 0, 1, 0, 0, 0x08, 0x00]
        let sll2: [UInt8] = [0x86, 0xDD, 0, 0, 0, 0, 0, 2, 0, 1, 0, 6, 2, 0, 0, 0, 0, 1, 0, 0]
        return [
            ("tcp4", tcpIPv4(), .ethernet), ("tcp6", tcpIPv6(), .ethernet),
            ("udp4", udpIPv4(), .ethernet), ("udp6", udpIPv6(), .ethernet),
            ("icmp4", icmpv4Echo(), .ethernet), ("icmp6", icmpv6Echo(), .ethernet),
            ("qinq", ethernet(0x0800, v4, tags: [(0x88A8, 100), (0x8100, 200)]), .ethernet),
            ("raw4", v4, .raw), ("raw6", v6, .raw), ("ipv4", v4, .ipv4), ("ipv6", v6, .ipv6),
            ("sll", sll + v4, .linuxCooked), ("sll2", sll2 + v6, .linuxCooked2),
            ("vxlan", tunnel(port: 6080, header: vxlanHeader(vni: 7), inner: tcpIPv4()), .ethernet),
            ("geneve", tunnel(port: 6081, header: geneveHeader(vni: 9, options: [0, 1, 2, 1, 0, 0, 0, 0]),
                              inner: udpIPv6()), .ethernet),
        ]
    }
}

/// Decodes `bytes` and returns the result with the filled packet.
func decodeFrame(
    _ bytes: [UInt8], _ link: LinkType = .ethernet, verify: Bool = false, ports: TunnelPorts = .standard
) -> (event: DecodeEvent?, packet: DecodedPacket) {
    var packet = DecodedPacket()
    let event = bytes.withUnsafeBytes {
        PacketDecoder.decode($0, linkType: link, into: &packet, verifyChecksums: verify, tunnelPorts: ports)
    }
    return (event, packet)
}

@Suite struct DecodeFramesTests {
    @Test func referenceChecksumMatchesTheRFC1071Example() {
        // RFC 1071 §3: the sum of 0001 f203 f4f5 f6f7 is ddf2, so the checksum is 220d.
        #expect(Frames.referenceChecksum([0x00, 0x01, 0xF2, 0x03, 0xF4, 0xF5, 0xF6, 0xF7]) == 0x220D)
    }

    @Test func everyBuiltFrameDecodesWithValidChecksums() {
        for frame in Frames.allValid {
            let (event, packet) = decodeFrame(frame.bytes, frame.link, verify: true)
            #expect(event == nil, "\(frame.name)")
            #expect(packet.warning == nil, "\(frame.name): \(packet.warning.map { $0.name } ?? "")")
            #expect(packet.ipVersion != 0, "\(frame.name)")
        }
    }
}

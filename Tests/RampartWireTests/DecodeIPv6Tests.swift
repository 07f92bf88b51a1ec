import Testing
@testable import RampartWire

@Suite struct DecodeIPv6Tests {
    static let tcp = Frames.tcp(destinationPort: 80)

    @Test func validTCPPacket() {
        let (event, p) = decodeFrame(Frames.tcpIPv6(), verify: true)
        #expect(event == nil)
        #expect(p.warning == nil)
        #expect(p.ipVersion == 6)
        #expect(p.source == IPAddress("fd00::1"))
        #expect(p.destination == IPAddress("fd00::2"))
        #expect(p.ipProtocol == .tcp)
        #expect(p.transportOffset == 54)
        #expect(p.payloadLength == 5)
        #expect(p.tcpOptions.hasTimestamp)
        #expect(p.tcpOptions.timestampValue == 9)
    }

    @Test func everyCutOfTheHeaderIsTooShort() {
        let frame = Frames.tcpIPv6()
        for length in 14..<54 {
            #expect(decodeFrame(Array(frame.prefix(length))).event == .ipv6TooShort, "length \(length)")
        }
    }

    @Test func wrongVersion() {
        var ip = Array(Frames.tcpIPv6().dropFirst(14))
        ip[0] = 0x40
        #expect(decodeFrame(ip, .ipv6).event == .ipv6WrongVersion)
    }

    @Test func fullExtensionChain() {
        // Hop-by-hop (PadN), routing (type 4 stub), destination options (Pad1 x 6), AH (16 bytes).
        let hopByHop: [UInt8] = [43, 0, 1, 4, 0, 0, 0, 0]
        let routing: [UInt8] = [60, 0, 4, 0, 0, 0, 0, 0]
        let destination: [UInt8] = [51, 0, 0, 0, 0, 0, 0, 0]
        let ah: [UInt8] = [6, 2, 0, 0, 0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0, 0]
        let frame = Frames.ethernet(0x86DD, Frames.ipv6(0, hopByHop + routing + destination + ah + Self.tcp))
        let (event, p) = decodeFrame(frame)
        #expect(event == nil)
        #expect(p.ipProtocol == .tcp)
        #expect(p.transportOffset == 54 + 40)
        #expect(p.destinationPort == 80)
        let chain = try? frame.withUnsafeBytes {
            IPv6ExtensionChain.walk($0, from: 54, nextHeader: 0, end: $0.count)
        }.get()
        #expect(chain?.headerCount == 4)
    }

    @Test func hopByHopMustComeFirst() {
        let destination: [UInt8] = [0, 0, 0, 0, 0, 0, 0, 0]
        let hopByHop: [UInt8] = [6, 0, 0, 0, 0, 0, 0, 0]
        let frame = Frames.ethernet(0x86DD, Frames.ipv6(60, destination + hopByHop + Self.tcp))
        #expect(decodeFrame(frame).event == .ipv6ExtensionHeaderInvalid)
    }

    @Test func longChainsAreRefused() {
        // Nine destination-options headers, each pointing at the next: a "loop" by repetition.
        var chain: [UInt8] = []
        for i in 0..<9 { chain += [i == 8 ? 6 : 60, 0, 1, 4, 0, 0, 0, 0] }
        let frame = Frames.ethernet(0x86DD, Frames.ipv6(60, chain + Self.tcp))
        #expect(decodeFrame(frame).event == .ipv6TooManyExtensionHeaders)
        // Eight are allowed.
        let eight = Frames.ethernet(0x86DD, Frames.ipv6(60, Array(chain.dropFirst(8)) + Self.tcp))
        #expect(decodeFrame(eight).event == nil)
    }

    @Test func extensionHeadersRunningPastTheEnd() {
        // Header length says 16 bytes, the packet has 8.
        let long = Frames.ethernet(0x86DD, Frames.ipv6(60, [6, 1, 1, 4, 0, 0, 0, 0]))
        #expect(decodeFrame(long).event == .ipv6ExtensionHeaderInvalid)
        // An option whose length runs past its header.
        let option = Frames.ethernet(0x86DD, Frames.ipv6(60, [6, 0, 1, 9, 0, 0, 0, 0] + Self.tcp))
        #expect(decodeFrame(option).event == .ipv6ExtensionHeaderInvalid)
        // Next header says hop-by-hop but nothing follows.
        #expect(decodeFrame(Frames.ethernet(0x86DD, Frames.ipv6(0, []))).event == .ipv6ExtensionHeaderInvalid)
        // AH length past the end.
        let ah = Frames.ethernet(0x86DD, Frames.ipv6(51, [6, 9, 0, 0, 0, 0, 0, 0]))
        #expect(decodeFrame(ah).event == .ipv6ExtensionHeaderInvalid)
    }

    @Test func extensionHeaderCutByTheCaptureIsTruncation() {
        let frame = Frames.ethernet(0x86DD, Frames.ipv6(60, [6, 1, 1, 12] + [UInt8](repeating: 0, count: 12) + Self.tcp))
        #expect(decodeFrame(Array(frame.prefix(54 + 10))).event == .captureTruncated)
    }

    @Test func fragments() {
        let first = Frames.ethernet(0x86DD, Frames.ipv6(44, [17, 0, 0x00, 0x01, 0xDE, 0xAD, 0xBE, 0xEF]
            + Frames.udp(destinationPort: 53, payload: [UInt8](repeating: 1, count: 8), length: 3000)))
        let (event, p) = decodeFrame(first)
        #expect(event == nil)
        #expect(p.isFragment && p.moreFragments)
        #expect(p.fragmentOffset == 0)
        #expect(p.fragmentIdentifier == 0xDEAD_BEEF)
        #expect(p.fragmentDataOffset == 62)
        #expect(p.ipProtocol == .udp)
        #expect(p.destinationPort == 53)

        let later = Frames.ethernet(0x86DD, Frames.ipv6(44, [6, 0, 0x05, 0xA8, 0, 0, 0, 5] + [UInt8](repeating: 9, count: 32)))
        let (event2, q) = decodeFrame(later)
        #expect(event2 == nil)
        #expect(q.isFragment && !q.moreFragments)
        #expect(q.fragmentOffset == 1448)
        #expect(q.ipProtocol == .tcp)
        #expect(q.sourcePort == 0)
        #expect(q.transportOffset == 62)
        #expect(q.payloadLength == 32)

        let twice = Frames.ethernet(0x86DD, Frames.ipv6(44, [44, 0, 0, 1, 0, 0, 0, 1, 6, 0, 0, 1, 0, 0, 0, 1] + Self.tcp))
        #expect(decodeFrame(twice).event == .ipv6ExtensionHeaderInvalid)
    }

    @Test func noNextHeaderAndUnknownProtocols() {
        let none = decodeFrame(Frames.ethernet(0x86DD, Frames.ipv6(59, [])))
        #expect(none.event == nil)
        #expect(none.packet.ipProtocol == IPProtocol(rawValue: 59))
        let sctp = decodeFrame(Frames.ethernet(0x86DD, Frames.ipv6(132, [1, 2, 3, 4])))
        #expect(sctp.event == nil)
        #expect(sctp.packet.payloadLength == 4)
    }
}

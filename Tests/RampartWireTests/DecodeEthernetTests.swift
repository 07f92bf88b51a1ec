import Testing
@testable import RampartWire

@Suite struct DecodeEthernetTests {
    @Test func untaggedFrame() {
        let frame = Frames.tcpIPv4()
        let result = frame.withUnsafeBytes { EthernetHeader.parse($0, at: 0) }
        let eth = try? result.get()
        #expect(eth?.etherType == 0x0800)
        #expect(eth?.headerLength == 14)
        #expect(eth?.tagCount == 0)
        #expect(eth?.destinationMAC == 0x0200_0000_0002)
        #expect(eth?.sourceMAC == 0x0200_0000_0001)
    }

    @Test func singleTagAndQinQ() {
        let inner = Array(Frames.tcpIPv4().dropFirst(14))
        let one = decodeFrame(Frames.ethernet(0x0800, inner, tags: [(0x8100, 0x2064)]))
        #expect(one.event == nil)
        #expect(one.packet.vlanID == 100)  // priority bits masked off
        #expect(one.packet.networkOffset == 18)

        let two = Frames.ethernet(0x0800, inner, tags: [(0x88A8, 10), (0x8100, 20)])
        let eth = try? two.withUnsafeBytes { EthernetHeader.parse($0, at: 0) }.get()
        #expect(eth?.tagCount == 2)
        #expect(eth?.vlanID == 20)
        #expect(eth?.outerVLANID == 10)
        #expect(eth?.payloadOffset == 22)
        let decoded = decodeFrame(two)
        #expect(decoded.event == nil)
        #expect(decoded.packet.ipProtocol == .tcp)
        #expect(decoded.packet.networkOffset == 22)
    }

    @Test func threeTagsAreRefused() {
        let frame = Frames.ethernet(0x0800, Array(Frames.tcpIPv4().dropFirst(14)),
                                    tags: [(0x88A8, 1), (0x8100, 2), (0x8100, 3)])
        #expect(decodeFrame(frame).event == .vlanTooManyTags)
    }

    @Test func everyCutOfTheMACHeaderIsTooShort() {
        let frame = Frames.tcpIPv4()
        for length in 0..<14 {
            #expect(decodeFrame(Array(frame.prefix(length))).event == .ethernetTooShort, "length \(length)")
        }
    }

    @Test func everyCutInsideATagIsVLANTooShort() {
        let frame = Frames.ethernet(0x0800, [], tags: [(0x88A8, 1), (0x8100, 2)])
        for length in 14..<22 {
            #expect(decodeFrame(Array(frame.prefix(length))).event == .vlanTooShort, "length \(length)")
        }
    }

    @Test func nonIPFramesDecodeWithoutIP() {
        let arp = Frames.ethernet(0x0806, [0, 1, 8, 0, 6, 4, 0, 1] + [UInt8](repeating: 0, count: 20))
        let (event, packet) = decodeFrame(arp)
        #expect(event == nil)
        #expect(packet.ipVersion == 0)
        let lldp = decodeFrame(Frames.ethernet(0x88CC, [], tags: [(0x8100, 5)]))
        #expect(lldp.event == nil)
        #expect(lldp.packet.vlanID == 5)
        #expect(lldp.packet.ipVersion == 0)
    }
}

@Suite struct DecodeLinuxCookedTests {
    static let sll: [UInt8] = [0, 4, 0, 1, 0, 6, 2, 0, 0, 0, 0, 1, 0, 0, 0x08, 0x00]
    static let sll2: [UInt8] = [0x86, 0xDD, 0, 0, 0, 0, 0, 7, 0, 1, 4, 6, 2, 0, 0, 0, 0, 1, 0, 0]

    @Test func version1CarriesIPv4() {
        let frame = Self.sll + Array(Frames.tcpIPv4().dropFirst(14))
        let header = try? frame.withUnsafeBytes { LinuxCookedHeader.parse($0, at: 0) }.get()
        #expect(header?.packetType == 4)
        #expect(header?.addressType == 1)
        #expect(header?.protocolType == 0x0800)
        let (event, packet) = decodeFrame(frame, .linuxCooked)
        #expect(event == nil)
        #expect(packet.networkOffset == 16)
        #expect(packet.destinationPort == 443)
    }

    @Test func version2CarriesIPv6() {
        let frame = Self.sll2 + Array(Frames.tcpIPv6().dropFirst(14))
        let header = try? frame.withUnsafeBytes { LinuxCooked2Header.parse($0, at: 0) }.get()
        #expect(header?.interfaceIndex == 7)
        #expect(header?.packetType == 4)
        let (event, packet) = decodeFrame(frame, .linuxCooked2)
        #expect(event == nil)
        #expect(packet.ipVersion == 6)
        #expect(packet.networkOffset == 20)
    }

    @Test func shortHeadersAreRefused() {
        for length in 0..<16 {
            #expect(decodeFrame(Array(Self.sll.prefix(length)), .linuxCooked).event == .linuxCookedTooShort)
        }
        for length in 0..<20 {
            #expect(decodeFrame(Array(Self.sll2.prefix(length)), .linuxCooked2).event == .linuxCookedTooShort)
        }
    }

    @Test func nonIPProtocolIsNotAnError() {
        var frame = Self.sll
        frame[14] = 0x08
        frame[15] = 0x06
        let (event, packet) = decodeFrame(frame, .linuxCooked)
        #expect(event == nil)
        #expect(packet.ipVersion == 0)
    }

    @Test func unknownLinkTypeIsNamed() {
        #expect(decodeFrame(Frames.tcpIPv4(), LinkType(rawValue: 147)).event == .linkTypeUnsupported)
    }
}

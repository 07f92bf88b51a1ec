import Testing
@testable import RampartWire

@Suite struct DecodeTunnelTests {
    @Test(arguments: [UInt16(4789), 6080])
    func vxlanIsOpened(port: UInt16) {
        let inner = Frames.tcpIPv4(payload: [5, 6])
        let frame = Frames.tunnel(port: port, header: Frames.vxlanHeader(vni: 2048), inner: inner)
        let (event, p) = decodeFrame(frame, verify: true)
        #expect(event == nil)
        #expect(p.warning == nil)
        #expect(p.tunnel == .vxlan)
        #expect(p.tunnelVNI == 2048)
        #expect(p.tunnelSource == IPAddress("192.168.1.10"))
        #expect(p.tunnelDestination == IPAddress("192.168.1.20"))
        #expect(p.innerFrameOffset == 50)
        #expect(p.source == IPAddress("10.0.0.1"))
        #expect(p.destinationPort == 443)
        #expect(p.networkOffset == 64)
        #expect(p.payloadOffset == frame.count - 2)
        #expect(p.payloadLength == 2)
    }

    @Test func geneveWithOptionsIsOpened() {
        let options: [UInt8] = [0x01, 0x02, 0x80, 0x01, 0xAA, 0xBB, 0xCC, 0xDD, 0x01, 0x03, 0x00, 0x00]
        let frame = Frames.tunnel(port: 6081, header: Frames.geneveHeader(vni: 0xABCDEF, options: options),
                                  inner: Frames.udpIPv6())
        let (event, p) = decodeFrame(frame, verify: true)
        #expect(event == nil)
        #expect(p.warning == nil)
        #expect(p.tunnel == .geneve)
        #expect(p.tunnelVNI == 0xABCDEF)
        #expect(p.innerFrameOffset == 42 + 8 + 12)
        #expect(p.ipVersion == 6)
        let geneve = try? frame.withUnsafeBytes { GeneveHeader.parse($0, at: 42) }.get()
        #expect(geneve?.optionCount == 2)
        #expect(geneve?.optionsLength == 12)
    }

    @Test func malformedTunnelHeadersLeavePlainUDP() {
        let inner = Frames.tcpIPv4()
        let cases: [(UInt16, [UInt8], DecodeEvent)] = [
            (4789, Frames.vxlanHeader(vni: 1, flags: 0x00), .vxlanFlagsInvalid),
            (6081, Frames.geneveHeader(vni: 1, version: 1), .geneveVersionInvalid),
            (6081, Frames.geneveHeader(vni: 1, protocolType: 0x0800), .geneveUnknownProtocol),
            // Option says 8 data bytes, the option area holds 4.
            (6081, Frames.geneveHeader(vni: 1, options: [0, 1, 2, 2, 0, 0, 0, 0]), .geneveOptionsInvalid),
        ]
        for (port, header, expected) in cases {
            let (event, p) = decodeFrame(Frames.tunnel(port: port, header: header, inner: inner))
            #expect(event == nil)
            #expect(p.warning == expected)
            #expect(p.tunnel == .none)
            #expect(p.destinationPort == port)
        }
        let shortVXLAN = decodeFrame(Frames.tunnel(port: 4789, header: [0x08, 0, 0], inner: []))
        #expect(shortVXLAN.packet.warning == .vxlanTooShort)
        // Option area (63 words) larger than the datagram.
        let shortGeneve = decodeFrame(Frames.tunnel(port: 6081, header: [0x3F, 0, 0x65, 0x58, 0, 0, 1, 0], inner: []))
        #expect(shortGeneve.packet.warning == .geneveTooShort)
        for length in 0..<8 {
            let vxlan = Array(Frames.vxlanHeader(vni: 1).prefix(length))
            #expect(decodeFrame(Frames.tunnel(port: 4789, header: vxlan, inner: [])).packet.warning == .vxlanTooShort)
            let header = Array(Frames.geneveHeader(vni: 1).prefix(length))
            #expect(decodeFrame(Frames.tunnel(port: 6081, header: header, inner: [])).packet.warning == .geneveTooShort)
        }
    }

    @Test func headerViews() {
        // VNI is the top 24 bits of the second word; the low byte is reserved and ignored.
        let vxlan: [UInt8] = [0x88, 0, 0, 0, 0x12, 0x34, 0x56, 0xFF]
        let v = try? vxlan.withUnsafeBytes { VXLANHeader.parse($0, at: 0) }.get()
        #expect(v?.vni == 0x123456)
        #expect(v?.payloadOffset == 8)
        let geneve: [UInt8] = [0x01, 0xC0, 0x65, 0x58, 0, 0, 1, 0, 0xFF, 0xFF, 0x01, 0x00]
        let g = try? geneve.withUnsafeBytes { GeneveHeader.parse($0, at: 0) }.get()
        #expect(g?.vni == 1)
        #expect(g?.isControl == true)
        #expect(g?.hasCriticalOptions == true)
        #expect(g?.optionCount == 1)
        #expect(g?.payloadOffset == 12)
        // Bounded by `end`, not only by the buffer.
        #expect(vxlan.withUnsafeBytes { VXLANHeader.parse($0, at: 0, end: 7) }.failureEvent == .vxlanTooShort)
        // Inside `end` but past the captured bytes: truncation.
        #expect(vxlan.withUnsafeBytes { VXLANHeader.parse($0, at: 4, end: 12) }.failureEvent == .captureTruncated)
    }

    @Test func aTunnelInsideATunnelIsNotOpened() {
        let innermost = Frames.tcpIPv4()
        let middle = Frames.tunnel(port: 4789, header: Frames.vxlanHeader(vni: 2), inner: innermost)
        let (event, p) = decodeFrame(Frames.tunnel(port: 6080, header: Frames.vxlanHeader(vni: 1), inner: middle))
        #expect(event == nil)
        #expect(p.tunnel == .vxlan)
        #expect(p.tunnelVNI == 1)
        #expect(p.warning == .tunnelTooDeep)
        #expect(p.destinationPort == 4789)
    }

    @Test func tunnelPortsAreAParameter() {
        let frame = Frames.tunnel(port: 7000, header: Frames.vxlanHeader(vni: 3), inner: Frames.tcpIPv4())
        #expect(decodeFrame(frame).packet.tunnel == .none)
        let ports = TunnelPorts(vxlan: 4789, rampart: 7000, geneve: 6081)
        #expect(decodeFrame(frame, ports: ports).packet.tunnel == .vxlan)
        let off = TunnelPorts(vxlan: 0, rampart: 0, geneve: 0)
        #expect(decodeFrame(Frames.tunnel(port: 4789, header: Frames.vxlanHeader(vni: 3), inner: Frames.tcpIPv4()),
                            ports: off).packet.tunnel == .none)
    }

    @Test func innerErrorsAreFatal() {
        let badInner = Frames.ethernet(0x0800, Frames.ipv4(6, Frames.tcp(), versionIHL: 0x44))
        let (event, p) = decodeFrame(Frames.tunnel(port: 4789, header: Frames.vxlanHeader(vni: 5), inner: badInner))
        #expect(event == .ipv4HeaderLengthInvalid)
        #expect(p.tunnel == .vxlan)
        let (event2, _) = decodeFrame(Frames.tunnel(port: 4789, header: Frames.vxlanHeader(vni: 5), inner: [1, 2, 3]))
        #expect(event2 == .ethernetTooShort)
    }

    @Test func innerFrameEndsWithTheDatagram() {
        // Outer Ethernet padding after the UDP datagram must not extend the inner frame.
        let inner = Frames.ethernet(0x0806, [UInt8](repeating: 0, count: 28))
        let frame = Frames.tunnel(port: 4789, header: Frames.vxlanHeader(vni: 5), inner: Array(inner.prefix(10)))
        #expect(decodeFrame(frame + [UInt8](repeating: 0, count: 20)).event == .ethernetTooShort)
    }
}

extension Result {
    var failureEvent: Failure? {
        if case .failure(let event) = self { return event }
        return nil
    }
}

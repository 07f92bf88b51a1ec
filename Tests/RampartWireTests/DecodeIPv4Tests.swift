import Testing
@testable import RampartWire

@Suite struct DecodeIPv4Tests {
    @Test func validTCPPacket() {
        let frame = Frames.tcpIPv4(payload: Array("GET /".utf8), flags: 0x18)
        let (event, p) = decodeFrame(frame, verify: true)
        #expect(event == nil)
        #expect(p.warning == nil)
        #expect(p.ipVersion == 4)
        #expect(p.source == IPAddress("10.0.0.1"))
        #expect(p.destination == IPAddress("10.0.0.2"))
        #expect(p.ipProtocol == .tcp)
        #expect(p.hopLimit == 64)
        #expect(p.networkOffset == 14)
        #expect(p.networkLength == frame.count - 14)
        #expect(p.transportOffset == 34)
        #expect(p.payloadOffset == 34 + 40)
        #expect(p.payloadLength == 5)
        #expect(p.isFragment == false)
    }

    @Test func rawAndIPv4LinkTypes() {
        let ip = Array(Frames.udpIPv4().dropFirst(14))
        for link in [LinkType.raw, .ipv4] {
            let (event, p) = decodeFrame(ip, link)
            #expect(event == nil)
            #expect(p.networkOffset == 0)
            #expect(p.destinationPort == 53)
        }
        #expect(decodeFrame([], .raw).event == .ipv4TooShort)
        #expect(decodeFrame([0x50], .raw).event == .ipv4WrongVersion)
        #expect(decodeFrame(Array(Frames.tcpIPv6().dropFirst(14)), .ipv4).event == .ipv4WrongVersion)
    }

    @Test func everyCutOfTheHeaderIsTooShort() {
        let frame = Frames.ethernet(0x0800, Frames.ipv4(6, Frames.tcp(), options: [1, 1, 1, 0]))
        for length in 14..<(14 + 24) {
            #expect(decodeFrame(Array(frame.prefix(length))).event == .ipv4TooShort, "length \(length)")
        }
    }

    @Test func badVersionAndLengths() {
        #expect(decodeFrame(Frames.ethernet(0x0800, Frames.ipv4(6, Frames.tcp(), versionIHL: 0x65))).event == .ipv4WrongVersion)
        #expect(decodeFrame(Frames.ethernet(0x0800, Frames.ipv4(6, Frames.tcp(), versionIHL: 0x44))).event == .ipv4HeaderLengthInvalid)
        // IHL 15 (60 bytes) but only 40 captured.
        #expect(decodeFrame(Frames.ethernet(0x0800, Frames.ipv4(6, Frames.tcp(), versionIHL: 0x4F))).event == .ipv4TooShort)
        #expect(decodeFrame(Frames.ethernet(0x0800, Frames.ipv4(6, Frames.tcp(), totalLength: 19))).event == .ipv4TotalLengthInvalid)
    }

    @Test func validOptions() {
        // NOP, router alert (4 bytes), NOP, EOL then padding that would be invalid if read.
        let options: [UInt8] = [1, 148, 4, 0, 0, 1, 0, 7]
        let (event, p) = decodeFrame(Frames.ethernet(0x0800, Frames.ipv4(6, Frames.tcp(), options: options)), verify: true)
        #expect(event == nil)
        // The header checksum (checked first) holds; the hand-made TCP segment has none.
        #expect(p.warning == .tcpChecksumInvalid)
        #expect(p.transportOffset == 14 + 28)
    }

    @Test(arguments: [
        [UInt8]([7, 0, 0, 0]),        // length 0
        [UInt8]([1, 1, 1, 68]),       // kind without room for its length byte
        [UInt8]([7, 1, 0, 0]),        // length 1
        [UInt8]([68, 12, 5, 0]),      // timestamp option running past the header
        [UInt8]([1, 1, 131, 7]),      // loose source route running past the header
    ])
    func invalidOptions(_ options: [UInt8]) {
        let frame = Frames.ethernet(0x0800, Frames.ipv4(6, Frames.tcp(), options: options))
        #expect(decodeFrame(frame).event == .ipv4OptionsInvalid)
    }

    @Test func badHeaderChecksumIsAWarning() {
        var frame = Frames.tcpIPv4()
        frame[24] ^= 0xFF
        let (event, p) = decodeFrame(frame, verify: true)
        #expect(event == nil)
        #expect(p.warning == .ipv4ChecksumInvalid)
        #expect(decodeFrame(frame).packet.warning == nil)  // not checked unless asked
    }

    @Test func firstFragmentParsesTransport() {
        let udp = Frames.udp(destinationPort: 53, payload: [UInt8](repeating: 7, count: 16), length: 1000)
        let frame = Frames.ethernet(0x0800, Frames.ipv4(17, udp, identification: 0xABCD, flagsAndOffset: 0x2000))
        let (event, p) = decodeFrame(frame, verify: true)
        #expect(event == nil)
        #expect(p.warning == nil)
        #expect(p.isFragment)
        #expect(p.moreFragments)
        #expect(p.fragmentOffset == 0)
        #expect(p.fragmentIdentifier == 0xABCD)
        #expect(p.fragmentDataOffset == 34)
        #expect(p.destinationPort == 53)
        #expect(p.payloadLength == 16)
    }

    @Test func laterFragmentSkipsTransport() {
        let data = [UInt8](repeating: 0xEE, count: 24)
        let frame = Frames.ethernet(0x0800, Frames.ipv4(6, data, identification: 9, flagsAndOffset: 185))
        let (event, p) = decodeFrame(frame)
        #expect(event == nil)
        #expect(p.isFragment)
        #expect(!p.moreFragments)
        #expect(p.fragmentOffset == 1480)
        #expect(p.ipProtocol == .tcp)
        #expect(p.sourcePort == 0)
        #expect(p.transportOffset == 34)
        #expect(p.payloadLength == 24)
    }

    @Test func malformedFragments() {
        let odd = Frames.ethernet(0x0800, Frames.ipv4(17, [UInt8](repeating: 0, count: 13), flagsAndOffset: 0x2001))
        #expect(decodeFrame(odd).event == .fragmentInvalid)
        let empty = Frames.ethernet(0x0800, Frames.ipv4(17, [], flagsAndOffset: 0x2001))
        #expect(decodeFrame(empty).event == .fragmentInvalid)
        let large = Frames.ethernet(0x0800, Frames.ipv4(17, [UInt8](repeating: 0, count: 16), flagsAndOffset: 0x1FFF))
        #expect(decodeFrame(large).event == .fragmentTooLarge)
    }

    @Test func ethernetPaddingIsNotPayload() {
        let frame = Frames.udpIPv4(payload: [1]) + [UInt8](repeating: 0, count: 17)
        let (event, p) = decodeFrame(frame, verify: true)
        #expect(event == nil)
        #expect(p.warning == nil)
        #expect(p.payloadLength == 1)
        #expect(p.networkLength == 29)
    }
}

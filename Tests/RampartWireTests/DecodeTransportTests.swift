import Testing
@testable import RampartWire

@Suite struct DecodeTCPTests {
    @Test func synWithAllOptions() {
        // MSS 1460, SACK-permitted, timestamps, NOP, window scale 7.
        let (event, p) = decodeFrame(Frames.tcpIPv4(), verify: true)
        #expect(event == nil)
        #expect(p.warning == nil)
        #expect(p.sourcePort == 40000)
        #expect(p.destinationPort == 443)
        #expect(p.tcpFlags == .syn)
        #expect(p.tcpSequence == 1000)
        #expect(p.tcpWindow == 65535)
        #expect(p.tcpOptions.mss == 1460)
        #expect(p.tcpOptions.windowScale == 7)
        #expect(p.tcpOptions.sackPermitted)
        #expect(p.tcpOptions.hasTimestamp)
        #expect(p.tcpOptions.timestampValue == 1)
        #expect(p.tcpOptions.timestampEcho == 0)
        #expect(p.payloadLength == 0)
    }

    @Test func sackBlocks() {
        let options: [UInt8] = [1, 1, 5, 18] + Frames.be32(100) + Frames.be32(200) + Frames.be32(300) + Frames.be32(400)
        let frame = Frames.tcpIPv4(options: options + [0, 0], flags: 0x10)
        let (event, p) = decodeFrame(frame)
        #expect(event == nil)
        #expect(p.tcpOptions.sackBlockCount == 2)
        let blocks = frame.withUnsafeBytes { bytes in
            (p.tcpOptions.sackBlock(0, in: bytes), p.tcpOptions.sackBlock(1, in: bytes), p.tcpOptions.sackBlock(2, in: bytes))
        }
        #expect(blocks.0?.left == 100 && blocks.0?.right == 200)
        #expect(blocks.1?.left == 300 && blocks.1?.right == 400)
        #expect(blocks.2 == nil)
    }

    @Test(arguments: [
        [UInt8]([2, 3, 5, 0]),                 // MSS with length 3
        [UInt8]([3, 4, 7, 0]),                 // window scale with length 4
        [UInt8]([4, 3, 0, 0]),                 // SACK-permitted with length 3
        [UInt8]([5, 11, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]),  // SACK not 2 + 8n
        [UInt8]([5, 2, 0, 0]),                 // SACK with no block
        [UInt8]([8, 9, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]),   // timestamps with length 9
        [UInt8]([30, 0, 0, 0]),                // length 0
        [UInt8]([30, 1, 0, 0]),                // length 1
        [UInt8]([1, 1, 1, 30]),                // no room for the length byte
        [UInt8]([1, 1, 30, 8]),                // unknown option running past the header
    ])
    func invalidOptions(_ options: [UInt8]) {
        let segment = Frames.tcp(options: options)
        #expect(decodeFrame(Frames.ethernet(0x0800, Frames.ipv4(6, segment))).event == .tcpOptionsInvalid)
    }

    @Test func headerLengths() {
        #expect(decodeFrame(Frames.ethernet(0x0800, Frames.ipv4(6, Frames.tcp(dataOffset: 4)))).event == .tcpHeaderLengthInvalid)
        // Data offset 15 (60 bytes) inside a 20-byte segment.
        #expect(decodeFrame(Frames.ethernet(0x0800, Frames.ipv4(6, Frames.tcp(dataOffset: 15)))).event == .tcpTooShort)
    }

    @Test func everyCutOfTheSegmentInsideTheIPPacketIsTooShort() {
        let segment = Frames.tcp(options: Frames.synOptions)
        for length in 0..<segment.count {
            let frame = Frames.ethernet(0x0800, Frames.ipv4(6, Array(segment.prefix(length))))
            #expect(decodeFrame(frame).event == .tcpTooShort, "length \(length)")
        }
    }

    @Test func badChecksumIsAWarning() {
        var frame = Frames.tcpIPv6()
        frame[frame.count - 1] ^= 0x01
        let (event, p) = decodeFrame(frame, verify: true)
        #expect(event == nil)
        #expect(p.warning == .tcpChecksumInvalid)
    }
}

@Suite struct DecodeUDPTests {
    @Test func validDatagrams() {
        let (event, p) = decodeFrame(Frames.udpIPv4(), verify: true)
        #expect(event == nil)
        #expect(p.warning == nil)
        #expect(p.ipProtocol == .udp)
        #expect(p.sourcePort == 50000)
        #expect(p.destinationPort == 53)
        #expect(p.payloadOffset == 42)
        #expect(p.payloadLength == 5)
        let (event6, q) = decodeFrame(Frames.udpIPv6(), verify: true)
        #expect(event6 == nil)
        #expect(q.warning == nil)
        #expect(q.payloadLength == 3)
    }

    @Test func zeroChecksumOverIPv4MeansNone() {
        let frame = Frames.ethernet(0x0800, Frames.ipv4(17, Frames.udp(payload: [1, 2, 3])))
        #expect(decodeFrame(frame, verify: true).packet.warning == nil)
        let v6 = Frames.ethernet(0x86DD, Frames.ipv6(17, Frames.udp(payload: [1, 2, 3])))
        #expect(decodeFrame(v6, verify: true).packet.warning == .udpChecksumInvalid)
    }

    @Test func lengths() {
        let short = Frames.ethernet(0x0800, Frames.ipv4(17, Frames.udp(payload: [1, 2], length: 7)))
        #expect(decodeFrame(short).event == .udpLengthInvalid)
        let long = Frames.ethernet(0x0800, Frames.ipv4(17, Frames.udp(payload: [1, 2], length: 11)))
        #expect(decodeFrame(long).event == .udpLengthInvalid)
        // A length shorter than the IP payload: the rest is trailing padding.
        let padded = decodeFrame(Frames.ethernet(0x0800, Frames.ipv4(17, Frames.udp(payload: [1, 2, 3, 4], length: 10))))
        #expect(padded.event == nil)
        #expect(padded.packet.payloadLength == 2)
        let segment = Frames.udp()
        for length in 0..<8 {
            let frame = Frames.ethernet(0x0800, Frames.ipv4(17, Array(segment.prefix(length))))
            #expect(decodeFrame(frame).event == .udpTooShort)
        }
    }
}

@Suite struct DecodeICMPTests {
    @Test func echoOverIPv4() {
        let (event, p) = decodeFrame(Frames.icmpv4Echo(), verify: true)
        #expect(event == nil)
        #expect(p.warning == nil)
        #expect(p.ipProtocol == .icmp)
        #expect(p.icmpType == 8)
        #expect(p.icmpIdentifier == 0xBEEF)
        #expect(p.payloadLength == 2)
        #expect(p.sourcePort == 0)
    }

    @Test func echoOverIPv6() {
        let (event, p) = decodeFrame(Frames.icmpv6Echo(), verify: true)
        #expect(event == nil)
        #expect(p.warning == nil)
        #expect(p.ipProtocol == .icmpv6)
        #expect(p.icmpType == 128)
        #expect(p.icmpIdentifier == 0xCAFE)
        #expect(p.payloadLength == 3)
    }

    @Test func nonEchoHasNoIdentifier() {
        let unreachable = Frames.icmp(type: 3, code: 3, rest: 0x1234_5678)
        let (event, p) = decodeFrame(Frames.ethernet(0x0800, Frames.ipv4(1, unreachable)))
        #expect(event == nil)
        #expect(p.icmpCode == 3)
        #expect(p.icmpIdentifier == 0)
    }

    @Test func shortMessages() {
        let message = Frames.icmp(type: 8)
        for length in 0..<8 {
            #expect(decodeFrame(Frames.ethernet(0x0800, Frames.ipv4(1, Array(message.prefix(length))))).event == .icmpv4TooShort)
            #expect(decodeFrame(Frames.ethernet(0x86DD, Frames.ipv6(58, Array(message.prefix(length))))).event == .icmpv6TooShort)
        }
    }

    @Test func badChecksumIsAWarning() {
        var frame = Frames.icmpv6Echo()
        frame[frame.count - 1] ^= 0x40
        #expect(decodeFrame(frame, verify: true).packet.warning == .icmpChecksumInvalid)
    }
}

@Suite struct DecodeTruncationTests {
    @Test func payloadCutByTheCaptureIsAWarning() {
        let frame = Frames.tcpIPv4(payload: [UInt8](repeating: 0x41, count: 100))
        let cut = Array(frame.prefix(frame.count - 60))
        let (event, p) = decodeFrame(cut, verify: true)
        #expect(event == nil)
        #expect(p.warning == .captureTruncated)  // and no checksum verdict on missing bytes
        #expect(p.payloadLength == 40)
        #expect(p.networkLength == cut.count - 14)
    }

    @Test func headerCutByTheCaptureIsFatal() {
        let frames = [Frames.tcpIPv4(payload: [1]), Frames.tcpIPv6(), Frames.udpIPv4(), Frames.icmpv6Echo()]
        for frame in frames {
            let transport = frame[12] == 0x08 ? 34 : 54
            for length in transport..<(transport + 8) {
                #expect(decodeFrame(Array(frame.prefix(length))).event == .captureTruncated, "length \(length)")
            }
        }
    }

    @Test func laterFragmentCutIsAWarning() {
        let frame = Frames.ethernet(0x0800, Frames.ipv4(6, [UInt8](repeating: 1, count: 64), flagsAndOffset: 0x0010))
        let (event, p) = decodeFrame(Array(frame.prefix(50)))
        #expect(event == nil)
        #expect(p.warning == .captureTruncated)
        #expect(p.payloadLength == 16)
    }
}

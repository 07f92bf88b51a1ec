import RampartDataplane
import RampartWire
import Testing

@Suite("Frame rewrites")
struct FrameRewriteTests {
    @Test func swapsMACs() {
        var frame: [UInt8] = [1, 2, 3, 4, 5, 6, 11, 12, 13, 14, 15, 16, 0x08, 0x00, 0x45]
        let ok = frame.withUnsafeMutableBytes { FrameRewrite.swapMACs($0) }
        #expect(ok)
        #expect(Array(frame[0 ..< 12]) == [11, 12, 13, 14, 15, 16, 1, 2, 3, 4, 5, 6])
        #expect(Array(frame[12...]) == [0x08, 0x00, 0x45])
        var short: [UInt8] = [1, 2, 3]
        #expect(!short.withUnsafeMutableBytes { FrameRewrite.swapMACs($0) })
    }

    /// A real captured HTTP request with its TCP checksum replaced by what offload leaves
    /// (the folded pseudo-header sum, CHECKSUM_PARTIAL) is completed back to the original.
    @Test func completesUnfinishedTCPChecksum() throws {
        let frames = try Fixtures.frames("http.pcap")
        let index = try #require(frames.firstIndex { Fixtures.decode($0).ipProtocol == .tcp && Fixtures.decode($0).payloadLength > 0 })
        let original = frames[index]
        let packet = Fixtures.decode(original)
        let field = packet.transportOffset + 16
        var frame = original
        let segmentLength = packet.networkOffset + packet.networkLength - packet.transportOffset
        let partial = Checksum.pseudoHeaderSum(source: packet.source, destination: packet.destination, protocol: .tcp, length: segmentLength)
        frame[field] = UInt8(partial >> 8)
        frame[field + 1] = UInt8(partial & 0xFF)
        #expect(frame != original)
        #expect(frame.withUnsafeMutableBytes { FrameRewrite.completeChecksum($0, packet: packet) } == .partial)
        #expect(frame == original)
        // A finished checksum is left alone.
        #expect(frame.withUnsafeMutableBytes { FrameRewrite.completeChecksum($0, packet: packet) } == .valid)
        #expect(frame == original)
    }

    /// Issue 19: a checksum that is wrong (zero, flipped bits, the pseudo-header sum of
    /// another length) is not offload's partial form: reported invalid and left unchanged,
    /// never made valid. Before, each of these was "completed" into a valid checksum.
    @Test(arguments: ["zero", "flipped", "partial-of-other-length", "off-by-one"])
    func wrongTCPChecksumIsNeverRepaired(_ kind: String) throws {
        let frames = try Fixtures.frames("http.pcap")
        let original = try #require(frames.first { Fixtures.decode($0).ipProtocol == .tcp && Fixtures.decode($0).payloadLength > 0 })
        let packet = Fixtures.decode(original)
        let field = packet.transportOffset + 16
        let good = UInt16(original[field]) << 8 | UInt16(original[field + 1])
        let segmentLength = packet.networkOffset + packet.networkLength - packet.transportOffset
        let wrong: UInt16
        switch kind {
        case "zero": wrong = 0
        case "flipped": wrong = good ^ 0x5A5A
        case "partial-of-other-length":
            wrong = Checksum.pseudoHeaderSum(source: packet.source, destination: packet.destination, protocol: .tcp, length: segmentLength + 1)
        default: wrong = good &+ 1
        }
        var frame = original
        frame[field] = UInt8(wrong >> 8)
        frame[field + 1] = UInt8(wrong & 0xFF)
        let bad = frame
        #expect(frame.withUnsafeMutableBytes { FrameRewrite.completeChecksum($0, packet: packet) } == .invalid)
        #expect(frame == bad)
    }

    @Test func udpChecksumsAndFragments() throws {
        let frames = try Fixtures.frames("udp.pcap")
        let original = try #require(frames.first { let p = Fixtures.decode($0); return p.ipProtocol == .udp && p.ipVersion == 4 })
        let packet = Fixtures.decode(original)
        let field = packet.transportOffset + 6
        let segmentLength = packet.networkOffset + packet.networkLength - packet.transportOffset
        // Offload's partial form is completed.
        var frame = original
        let partial = Checksum.pseudoHeaderSum(source: packet.source, destination: packet.destination, protocol: .udp, length: segmentLength)
        frame[field] = UInt8(partial >> 8)
        frame[field + 1] = UInt8(partial & 0xFF)
        #expect(frame.withUnsafeMutableBytes { FrameRewrite.completeChecksum($0, packet: packet) } == .partial)
        #expect(frame == original)
        // A wrong one is not (before: completed).
        frame[field] ^= 0x5A
        let bad = frame
        #expect(frame.withUnsafeMutableBytes { FrameRewrite.completeChecksum($0, packet: packet) } == .invalid)
        #expect(frame == bad)
        // Zero over IPv4 means "no checksum": valid, left as it is.
        frame[field] = 0
        frame[field + 1] = 0
        #expect(frame.withUnsafeMutableBytes { FrameRewrite.completeChecksum($0, packet: packet) } == .valid)
        // Fragments are not looked at.
        var fragment = packet
        fragment.isFragment = true
        frame = bad
        #expect(frame.withUnsafeMutableBytes { FrameRewrite.completeChecksum($0, packet: fragment) } == .notChecked)
        #expect(frame == bad)
    }
}

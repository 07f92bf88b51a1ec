// libFuzzer target for PacketDecoder: decodes the input under every link type, with and
// without checksum verification, then checks the offsets it reported stay inside the
// input and that finishing a checksum writes only where it should.
//
// Compiled into the RampartWire module by scripts/fuzz.sh (hence no import):
//   scripts/fuzz.sh PacketDecoderFuzz 60

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let frame = UnsafeRawBufferPointer(start: data, count: size)
    let links: (LinkType, LinkType, LinkType, LinkType, LinkType, LinkType) =
        (.ethernet, .raw, .ipv4, .ipv6, .linuxCooked, .linuxCooked2)
    withUnsafeBytes(of: links) { raw in
        for link in raw.bindMemory(to: LinkType.self) {
            for verify in [false, true] {
                var packet = DecodedPacket()
                let event = PacketDecoder.decode(frame, linkType: link, into: &packet, verifyChecksums: verify)
                guard event == nil, packet.ipVersion != 0 else { continue }
                precondition(packet.payloadOffset >= 0 && packet.payloadLength >= 0, "negative payload")
                precondition(packet.payloadOffset + packet.payloadLength <= size, "payload past the input")
                precondition(packet.networkOffset + packet.networkLength <= size, "network past the input")
                precondition(packet.transportOffset <= size, "transport past the input")
                if !verify { finishChecksum(frame, packet) }
            }
        }
    }
    return 0
}

/// Fills the transport checksum in a copy and checks nothing outside the field changed.
private func finishChecksum(_ frame: UnsafeRawBufferPointer, _ packet: DecodedPacket) {
    guard let field = Checksum.fieldOffset(for: packet.ipProtocol), !packet.isFragment else { return }
    let length = packet.payloadOffset + packet.payloadLength - packet.transportOffset
    let copy = UnsafeMutableRawBufferPointer.allocate(byteCount: frame.count, alignment: 8)
    defer { copy.deallocate() }
    copy.copyMemory(from: frame)
    if Checksum.fill(copy, segmentAt: packet.transportOffset, length: length, protocol: packet.ipProtocol,
                     source: packet.source, destination: packet.destination) {
        let at = packet.transportOffset + field
        for i in 0..<frame.count where i != at && i != at + 1 {
            precondition(copy[i] == frame[i], "fill wrote outside the checksum field")
        }
    }
}

/// One pcapng block, checked and understood.
@usableFromInline
struct PcapngBlock: Sendable {
    enum Kind: Sendable {
        case section(bigEndian: Bool)
        case interface(PcapngInterface)
        case packet(PcapngPacket)
        case skipped
    }
    var kind: Kind
    var length: Int
}

@usableFromInline
struct PcapngPacket: Sendable {
    var interfaceIndex: Int
    var timestamp: Timestamp
    var frameOffset: Int
    var frameLength: Int
    var originalLength: Int
}

extension CaptureReader {
    /// Walks blocks until a packet block or the end of the file.
    @usableFromInline
    mutating func readPcapngRecord(into record: inout CaptureRecord) throws(CaptureError) -> Bool {
        while true {
            if source != nil { try prepareStreamedPcapngBlock() }
            guard offset < bytes.count else { break }
            let start = offset
            let parsed = bytes.withUnsafeBytes { [bigEndian, interfaces, lastTimestamp, readCount] raw in
                Self.parsePcapngBlock(raw, at: start, bigEndian: bigEndian, interfaces: interfaces,
                                      lastTimestamp: lastTimestamp, recordNumber: readCount &+ 1)
            }
            let block: PcapngBlock
            switch parsed {
            case .success(let b): block = b
            case .failure(let e): throw CaptureError(e.reason, byteOffset: windowStart &+ e.byteOffset, recordNumber: e.recordNumber)
            }
            switch block.kind {
            case .section(let sectionBigEndian):
                bigEndian = sectionBigEndian
                interfaces.removeAll(keepingCapacity: true)
            case .interface(let interface):
                guard interfaces.count < Self.maximumInterfaces else {
                    throw error(.tooManyInterfaces(limit: Self.maximumInterfaces), at: start)
                }
                interfaces.append(interface)
            case .packet(let packet):
                offset = start &+ block.length
                readCount &+= 1
                lastTimestamp = packet.timestamp
                record.timestamp = packet.timestamp
                record.linkType = interfaces[packet.interfaceIndex].linkType
                record.originalLength = packet.originalLength
                record.frameOffset = packet.frameOffset
                record.frameLength = packet.frameLength
                record.interfaceIndex = packet.interfaceIndex
                record.number = readCount
                return true
            case .skipped:
                break
            }
            offset = start &+ block.length
        }
        return false
    }

    /// Checks the block at `start` (lengths, byte order, interface references) and decodes
    /// what the reader needs from it. Pure: every read is bounds-checked against `raw`.
    static func parsePcapngBlock(
        _ raw: UnsafeRawBufferPointer, at start: Int, bigEndian: Bool,
        interfaces: [PcapngInterface], lastTimestamp: Timestamp, recordNumber: Int
    ) -> Result<PcapngBlock, CaptureError> {
        func fail(_ reason: CaptureError.Reason) -> Result<PcapngBlock, CaptureError> {
            .failure(CaptureError(reason, byteOffset: start, recordNumber: recordNumber))
        }
        let remaining = raw.count &- start
        guard remaining >= 12 else { return fail(.truncatedRecordHeader(needed: 12, available: remaining)) }
        var big = bigEndian
        // The Section Header type reads the same in both byte orders; its byte-order magic
        // decides how to read everything after it, its own length included.
        let type = raw.captureUInt32(at: start, bigEndian: big)
        if type == PcapngBlockType.sectionHeader {
            switch raw.captureUInt32(at: start &+ 8, bigEndian: false) {
            case 0x1A2B_3C4D: big = false
            case 0x4D3C_2B1A: big = true
            case let other: return fail(.badByteOrderMagic(other))
            }
        }
        let length = Int(raw.captureUInt32(at: start &+ 4, bigEndian: big))
        let minimum: Int
        switch type {
        case PcapngBlockType.sectionHeader: minimum = 28
        case PcapngBlockType.interfaceDescription: minimum = 20
        case PcapngBlockType.enhancedPacket, PcapngBlockType.obsoletePacket: minimum = 32
        case PcapngBlockType.simplePacket: minimum = 16
        default: minimum = 12
        }
        guard length % 4 == 0 else { return fail(.blockLengthNotMultipleOfFour(blockType: type, length: length)) }
        guard length >= minimum else {
            return fail(.blockLengthTooSmall(blockType: type, length: length, minimum: minimum))
        }
        // Checked before truncation so that a streaming reader, whose window never holds more
        // than this, reports the same error as a reader holding the whole file.
        guard length <= CaptureReader.maximumBlockLength else {
            return fail(.blockLengthTooLarge(blockType: type, length: length, limit: CaptureReader.maximumBlockLength))
        }
        guard length <= remaining else { return fail(.truncatedRecord(declared: length, available: remaining)) }
        let trailing = Int(raw.captureUInt32(at: start &+ length &- 4, bigEndian: big))
        guard trailing == length else { return fail(.blockLengthMismatch(leading: length, trailing: trailing)) }
        let end = start &+ length &- 4   // first byte of the trailing length

        func packet(interface: Int, units: UInt64, captured: Int, original: Int, dataOffset: Int)
            -> Result<PcapngBlock, CaptureError>
        {
            guard interface < interfaces.count else {
                return fail(.unknownInterface(id: interface, declared: interfaces.count))
            }
            guard captured <= maximumCapturedLength else {
                return fail(.capturedLengthTooLarge(declared: captured, limit: maximumCapturedLength))
            }
            let room = end &- dataOffset
            guard captured <= room else { return fail(.capturedLengthExceedsBlock(captured: captured, room: room)) }
            let timestamp = interfaces[interface].timestamp(units: units)
            return .success(PcapngBlock(kind: .packet(PcapngPacket(
                interfaceIndex: interface, timestamp: timestamp, frameOffset: dataOffset,
                frameLength: captured, originalLength: original)), length: length))
        }
        func units(at offset: Int) -> UInt64 {
            UInt64(raw.captureUInt32(at: offset, bigEndian: big)) << 32
                | UInt64(raw.captureUInt32(at: offset &+ 4, bigEndian: big))
        }

        switch type {
        case PcapngBlockType.sectionHeader:
            let major = raw.captureUInt16(at: start &+ 12, bigEndian: big)
            let minor = raw.captureUInt16(at: start &+ 14, bigEndian: big)
            guard major == 1 else { return fail(.unsupportedVersion(major: Int(major), minor: Int(minor))) }
            return .success(PcapngBlock(kind: .section(bigEndian: big), length: length))

        case PcapngBlockType.interfaceDescription:
            var interface = PcapngInterface(
                linkType: LinkType(rawValue: UInt32(raw.captureUInt16(at: start &+ 8, bigEndian: big))),
                snapLength: Int(raw.captureUInt32(at: start &+ 12, bigEndian: big)))
            var cursor = start &+ 16
            while cursor &+ 4 <= end {
                let code = Int(raw.captureUInt16(at: cursor, bigEndian: big))
                let optionLength = Int(raw.captureUInt16(at: cursor &+ 2, bigEndian: big))
                if code == 0 { break }   // opt_endofopt
                let value = cursor &+ 4
                guard optionLength <= end &- value else {
                    return fail(.malformedOption(code: code, length: optionLength))
                }
                switch code {
                case 9:   // if_tsresol
                    guard optionLength == 1 else { return fail(.malformedOption(code: code, length: optionLength)) }
                    let resolution = raw[value]
                    guard interface.setResolution(resolution) else {
                        return fail(.unsupportedTimestampResolution(resolution))
                    }
                case 14:  // if_tsoffset
                    guard optionLength == 8 else { return fail(.malformedOption(code: code, length: optionLength)) }
                    interface.offsetSeconds = Int64(bitPattern: big
                        ? units(at: value)
                        : UInt64(raw.captureUInt32(at: value &+ 4, bigEndian: false)) << 32
                            | UInt64(raw.captureUInt32(at: value, bigEndian: false)))
                default:
                    break
                }
                cursor = value &+ ((optionLength &+ 3) & ~3)
            }
            return .success(PcapngBlock(kind: .interface(interface), length: length))

        case PcapngBlockType.enhancedPacket:
            return packet(interface: Int(raw.captureUInt32(at: start &+ 8, bigEndian: big)),
                          units: units(at: start &+ 12),
                          captured: Int(raw.captureUInt32(at: start &+ 20, bigEndian: big)),
                          original: Int(raw.captureUInt32(at: start &+ 24, bigEndian: big)),
                          dataOffset: start &+ 28)

        case PcapngBlockType.obsoletePacket:
            return packet(interface: Int(raw.captureUInt16(at: start &+ 8, bigEndian: big)),
                          units: units(at: start &+ 12),
                          captured: Int(raw.captureUInt32(at: start &+ 20, bigEndian: big)),
                          original: Int(raw.captureUInt32(at: start &+ 24, bigEndian: big)),
                          dataOffset: start &+ 28)

        case PcapngBlockType.simplePacket:
            // No captured length on the wire: it is the original length cut by the snap
            // length of interface 0 and by the block itself.
            guard !interfaces.isEmpty else { return fail(.unknownInterface(id: 0, declared: 0)) }
            let original = Int(raw.captureUInt32(at: start &+ 8, bigEndian: big))
            let dataOffset = start &+ 12
            var captured = min(original, end &- dataOffset)
            if interfaces[0].snapLength > 0 { captured = min(captured, interfaces[0].snapLength) }
            guard captured <= maximumCapturedLength else {
                return fail(.capturedLengthTooLarge(declared: captured, limit: maximumCapturedLength))
            }
            return .success(PcapngBlock(kind: .packet(PcapngPacket(
                interfaceIndex: 0, timestamp: lastTimestamp, frameOffset: dataOffset,
                frameLength: captured, originalLength: original)), length: length))

        default:
            return .success(PcapngBlock(kind: .skipped, length: length))
        }
    }
}

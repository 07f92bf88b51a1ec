import RampartWire

/// Limits of a `FragmentReassembler`; everything is allocated once from these.
///
/// ```swift
/// var configuration = FragmentReassemblyConfiguration()
/// configuration.timeoutSeconds = 60
/// ```
public struct FragmentReassemblyConfiguration: Sendable, Equatable {
    /// Datagrams being reassembled at once.
    public var maxDatagrams: Int = 1024
    /// Largest reassembled IP payload (what follows the fixed IPv4 or IPv6 header).
    public var maxDatagramSize: Int = 65_535
    public var maxFragmentsPerDatagram: Int = 64
    /// A datagram not completed this long after its first fragment is dropped.
    public var timeoutSeconds: Int64 = 30
    /// Total bytes of fragment data held, shared by every datagram.
    public var poolBytes: Int = 4 << 20
    /// Size of one buffer chunk.
    public var chunkSize: Int = 512

    @inlinable public init() {}
}

/// What one fragment did: a complete datagram when it was the last piece, and an anomaly
/// when there was one. Both can be set (a datagram completed by an overlapping fragment).
///
/// ```swift
/// let outcome = fragments.process(packet, frame: frame, now: now)
/// if let event = outcome.event { counters.count(event) }
/// if let datagram = outcome.datagram { decode(datagram, linkType: .raw) }
/// ```
public struct FragmentOutcome {
    /// The reassembled IP datagram (a fresh header followed by the payload), valid until
    /// the next call on the reassembler.
    public var datagram: UnsafeRawBufferPointer?
    public var event: DecodeEvent?

    @inlinable
    public init(datagram: UnsafeRawBufferPointer? = nil, event: DecodeEvent? = nil) {
        self.datagram = datagram
        self.event = event
    }
}

/// Reassembles IPv4 and IPv6 fragments into whole datagrams.
///
/// Fragments are grouped by source, destination, identification, protocol (IPv6: the
/// fragment header's next header), VLAN and tunnel (VNI and outer source). The first copy
/// of every byte wins; overlapping bytes that differ report `fragmentOverlapDifferent`.
/// Limits report `fragmentTooLarge` (datagram or fragment count), `fragmentTableFull`
/// (datagrams or pool bytes) and `fragmentTimeout`; malformed fragments `fragmentInvalid`.
///
/// The output datagram carries a fresh header: IPv4 without options, fragment fields
/// cleared, total length and checksum recomputed; IPv6 without the fragment header (and
/// without extension headers that preceded it), payload length fixed.
///
/// The output buffer is shared by copies of the reassembler: keep one owner.
///
/// ```swift
/// var fragments = FragmentReassembler(configuration: FragmentReassemblyConfiguration())
/// if packet.isFragment {
///     let outcome = fragments.process(packet, frame: frame, now: now)
///     if let datagram = outcome.datagram { /* decode again as LinkType.raw */ }
/// }
/// fragments.expire(now: now, counters: &counters)
/// ```
public struct FragmentReassembler: Sendable {
    struct DatagramKey: Equatable, Sendable {
        var source: IPAddress
        var destination: IPAddress
        var tunnelSource: IPAddress
        var identifier: UInt32
        var tunnelVNI: UInt32
        var vlanID: UInt16
        var nextHeader: UInt8
        var ipVersion: UInt8
    }

    struct Datagram: Sendable {
        var key: DatagramKey
        var firstSeen: Timestamp = .zero
        var head: Int32 = SegmentStore.end
        /// Bytes held (the list never overlaps).
        var covered: Int = 0
        /// The end of the highest fragment seen.
        var maxEnd: Int = 0
        /// Payload length, known once the last fragment arrived; -1 before.
        var totalLength: Int = -1
        var fragments: Int = 0
        /// From the offset-0 fragment: IPv4 TOS, or IPv6's first header word.
        var leadWord: UInt32 = 0
        var hopLimit: UInt8 = 0
        var active = false
    }

    public let configuration: FragmentReassemblyConfiguration
    var datagrams: [Datagram]
    var store: SegmentStore
    var output: DatagramBuffer
    /// Datagrams being reassembled now.
    ///
    /// ```swift
    /// if fragments.pending > 0 { fragments.expire(now: now, counters: &counters) }
    /// ```
    public private(set) var pending: Int = 0

    public init(configuration: FragmentReassemblyConfiguration) {
        self.configuration = configuration
        let emptyKey = DatagramKey(
            source: .zero, destination: .zero, tunnelSource: .zero,
            identifier: 0, tunnelVNI: 0, vlanID: 0, nextHeader: 0, ipVersion: 0)
        datagrams = [Datagram](repeating: Datagram(key: emptyKey), count: max(1, configuration.maxDatagrams))
        let chunkSize = max(64, configuration.chunkSize)
        store = SegmentStore(chunkSize: chunkSize, chunkCount: max(1, configuration.poolBytes / chunkSize))
        output = DatagramBuffer(size: 40 + 65_535)
    }

    /// Adds one fragment (`packet.isFragment`) whose bytes are `frame`. Returns the
    /// complete datagram when this fragment finished it.
    ///
    /// ```swift
    /// let outcome = fragments.process(packet, frame: frame, now: now)
    /// ```
    public mutating func process(_ packet: DecodedPacket, frame: UnsafeRawBufferPointer, now: Timestamp) -> FragmentOutcome {
        guard packet.isFragment else { return FragmentOutcome() }
        let isIPv4 = packet.ipVersion == 4
        guard isIPv4 || packet.ipVersion == 6 else { return FragmentOutcome(event: .fragmentInvalid) }
        let network = packet.networkOffset
        let fixedHeader = isIPv4 ? 20 : 40
        let dataOffset = packet.fragmentDataOffset
        guard network >= 0, packet.networkLength >= fixedHeader, network <= frame.count,
              packet.networkLength <= frame.count - network,
              dataOffset >= network + (isIPv4 ? 20 : 48), dataOffset <= network + packet.networkLength,
              packet.fragmentOffset >= 0, packet.fragmentOffset <= 65_535
        else { return FragmentOutcome(event: .fragmentInvalid) }
        let dataLength = network + packet.networkLength - dataOffset
        let start = packet.fragmentOffset
        let end = start + dataLength
        if dataLength == 0 || (packet.moreFragments && dataLength % 8 != 0) {
            return FragmentOutcome(event: .fragmentInvalid)
        }
        if end > configuration.maxDatagramSize || end > 65_535 - (isIPv4 ? 20 : 0) {
            return FragmentOutcome(event: .fragmentTooLarge)
        }
        // IPv6: the fragment header is the 8 bytes just before the data.
        let nextHeader = isIPv4 ? frame[network + 9] : frame[dataOffset - 8]
        let key = DatagramKey(
            source: packet.source, destination: packet.destination,
            tunnelSource: packet.tunnel == .none ? .zero : packet.tunnelSource,
            identifier: packet.fragmentIdentifier,
            tunnelVNI: packet.tunnel == .none ? 0 : packet.tunnelVNI,
            vlanID: packet.vlanID, nextHeader: nextHeader, ipVersion: packet.ipVersion)

        var event: DecodeEvent? = nil
        var slot = find(key)
        if let found = slot, isTimedOut(datagrams[found], now: now) {
            drop(found)
            slot = nil
            event = .fragmentTimeout
        }
        if slot == nil {
            slot = allocate(key: key, now: now)
        }
        guard let index = slot else { return FragmentOutcome(event: .fragmentTableFull) }

        datagrams[index].fragments += 1
        if datagrams[index].fragments > configuration.maxFragmentsPerDatagram {
            drop(index)
            return FragmentOutcome(event: .fragmentTooLarge)
        }
        let total = datagrams[index].totalLength
        if !packet.moreFragments {
            if (total >= 0 && total != end) || datagrams[index].maxEnd > end {
                drop(index)
                return FragmentOutcome(event: .fragmentInvalid)
            }
            datagrams[index].totalLength = end
        } else if total >= 0 && end > total {
            drop(index)
            return FragmentOutcome(event: .fragmentInvalid)
        }
        datagrams[index].maxEnd = max(datagrams[index].maxEnd, end)
        if start == 0 {
            if isIPv4 {
                datagrams[index].leadWord = UInt32(frame[network + 1])
                datagrams[index].hopLimit = frame[network + 8]
            } else {
                datagrams[index].leadWord = UInt32(bigEndian: frame.loadUnaligned(fromByteOffset: network, as: UInt32.self))
                datagrams[index].hopLimit = frame[network + 7]
            }
        }

        let data = UnsafeRawBufferPointer(rebasing: frame[dataOffset..<(dataOffset + dataLength)])
        let result = store.insert(data, at: start, into: &datagrams[index].head, budget: Int.max)
        datagrams[index].covered += result.added
        if result.exhausted {
            drop(index)
            return FragmentOutcome(event: .fragmentTableFull)
        }
        if result.overlapDifferent { event = .fragmentOverlapDifferent }

        let datagram = datagrams[index]
        guard datagram.totalLength >= 0, datagram.covered == datagram.totalLength else {
            return FragmentOutcome(event: event)
        }
        let bytes = assemble(datagram)
        drop(index)
        return FragmentOutcome(datagram: bytes, event: event)
    }

    /// Drops datagrams whose timeout passed at `now`, counting each as `fragmentTimeout`.
    /// Scans every datagram slot; call it periodically (for example once per batch), not
    /// per packet. Returns how many were dropped.
    ///
    /// ```swift
    /// fragments.expire(now: now, counters: &counters)
    /// ```
    @discardableResult
    public mutating func expire(now: Timestamp, counters: inout DecodeCounters) -> Int {
        guard pending > 0 else { return 0 }
        var dropped = 0
        for i in datagrams.indices where datagrams[i].active && isTimedOut(datagrams[i], now: now) {
            drop(i)
            counters.count(.fragmentTimeout)
            dropped += 1
        }
        return dropped
    }

    func isTimedOut(_ datagram: Datagram, now: Timestamp) -> Bool {
        datagram.firstSeen.advanced(bySeconds: configuration.timeoutSeconds) <= now
    }

    func find(_ key: DatagramKey) -> Int? {
        guard pending > 0 else { return nil }
        // Fragments are rare; a linear scan over a small table costs less than keeping an index.
        for i in datagrams.indices where datagrams[i].active && datagrams[i].key == key {
            return i
        }
        return nil
    }

    mutating func allocate(key: DatagramKey, now: Timestamp) -> Int? {
        var free: Int? = nil
        for i in datagrams.indices {
            if !datagrams[i].active {
                free = i
                break
            }
        }
        if free == nil {
            // Full: reuse a timed-out slot if there is one.
            for i in datagrams.indices where isTimedOut(datagrams[i], now: now) {
                drop(i)
                free = i
                break
            }
        }
        guard let index = free else { return nil }
        datagrams[index] = Datagram(key: key, firstSeen: now, active: true)
        pending += 1
        return index
    }

    mutating func drop(_ index: Int) {
        guard datagrams[index].active else { return }
        store.free(&datagrams[index].head)
        datagrams[index].active = false
        pending -= 1
    }

    /// Writes the fresh header and the payload into the output buffer.
    func assemble(_ datagram: Datagram) -> UnsafeRawBufferPointer {
        let out = output.bytes
        let isIPv4 = datagram.key.ipVersion == 4
        let header = isIPv4 ? 20 : 40
        let total = datagram.totalLength
        if isIPv4 {
            out[0] = 0x45
            out[1] = UInt8(truncatingIfNeeded: datagram.leadWord)
            out.storeBytes(of: UInt16(header + total).bigEndian, toByteOffset: 2, as: UInt16.self)
            out.storeBytes(of: UInt16(truncatingIfNeeded: datagram.key.identifier).bigEndian, toByteOffset: 4, as: UInt16.self)
            out.storeBytes(of: UInt16(0), toByteOffset: 6, as: UInt16.self)
            out[8] = datagram.hopLimit
            out[9] = datagram.key.nextHeader
            out.storeBytes(of: UInt16(0), toByteOffset: 10, as: UInt16.self)
            out.storeBytes(of: datagram.key.source.ipv4Value.bigEndian, toByteOffset: 12, as: UInt32.self)
            out.storeBytes(of: datagram.key.destination.ipv4Value.bigEndian, toByteOffset: 16, as: UInt32.self)
            let checksum = Self.headerChecksum(UnsafeRawBufferPointer(rebasing: out[0..<20]))
            out.storeBytes(of: checksum.bigEndian, toByteOffset: 10, as: UInt16.self)
        } else {
            out.storeBytes(of: datagram.leadWord.bigEndian, toByteOffset: 0, as: UInt32.self)
            out.storeBytes(of: UInt16(total).bigEndian, toByteOffset: 4, as: UInt16.self)
            out[6] = datagram.key.nextHeader
            out[7] = datagram.hopLimit
            out.storeBytes(of: datagram.key.source.high.bigEndian, toByteOffset: 8, as: UInt64.self)
            out.storeBytes(of: datagram.key.source.low.bigEndian, toByteOffset: 16, as: UInt64.self)
            out.storeBytes(of: datagram.key.destination.high.bigEndian, toByteOffset: 24, as: UInt64.self)
            out.storeBytes(of: datagram.key.destination.low.bigEndian, toByteOffset: 32, as: UInt64.self)
        }
        if let base = out.baseAddress {
            store.copy(datagram.head, to: base.advanced(by: header), origin: 0)
        }
        return UnsafeRawBufferPointer(rebasing: out[0..<(header + total)])
    }

    /// The RFC 791 header checksum: one's complement of the one's-complement sum of the
    /// 16-bit words (with the checksum field zero).
    static func headerChecksum(_ header: UnsafeRawBufferPointer) -> UInt16 {
        var sum: UInt32 = 0
        var i = 0
        while i + 1 < header.count {
            sum &+= UInt32(header[i]) << 8 | UInt32(header[i + 1])
            i += 2
        }
        if i < header.count { sum &+= UInt32(header[i]) << 8 }
        while sum > 0xFFFF { sum = (sum & 0xFFFF) &+ (sum >> 16) }
        return ~UInt16(sum)
    }
}

/// Scratch memory for the reassembled datagram, allocated once. A class so the pointer
/// handed out stays valid after `process` returns; only the reassembler that created it
/// writes to it, and only inside `process`.
final class DatagramBuffer: @unchecked Sendable {
    let bytes: UnsafeMutableRawBufferPointer

    init(size: Int) {
        bytes = UnsafeMutableRawBufferPointer.allocate(byteCount: size, alignment: 8)
        bytes.initializeMemory(as: UInt8.self, repeating: 0)
    }

    deinit { bytes.deallocate() }
}

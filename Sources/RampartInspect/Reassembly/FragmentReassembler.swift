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
    /// A datagram not completed this long after its first fragment is dropped, with every
    /// fragment of it held.
    public var timeoutSeconds: Int64 = 30
    /// Total bytes of fragment data held for reassembly, shared by every datagram.
    public var poolBytes: Int = 4 << 20
    /// Size of one buffer chunk.
    public var chunkSize: Int = 512
    /// Bytes of whole fragment frames held until their datagram is decided (the frames go
    /// out as received once it is allowed), shared by every datagram.
    public var heldBytes: Int = 8 << 20
    /// Size of one chunk of the held-frame pool.
    public var heldChunkSize: Int = 256
    /// Datagrams one client (source address in its VLAN and tunnel) may have in the table;
    /// 0: `maxDatagrams / 8`.
    public var maxDatagramsPerSource: Int = 0
    /// Datagrams one tunnel source (node) may have in the table; 0: `maxDatagrams / 2`.
    public var maxDatagramsPerTunnelSource: Int = 0
    /// Bytes of held frames one client may hold; 0: `heldBytes / 8`.
    public var maxHeldBytesPerSource: Int = 0
    /// Bytes of held frames one tunnel source may hold; 0: `heldBytes / 2`.
    public var maxHeldBytesPerTunnelSource: Int = 0

    @inlinable public init() {}

    var effectiveMaxPerSource: Int { maxDatagramsPerSource > 0 ? maxDatagramsPerSource : max(1, maxDatagrams / 8) }
    var effectiveMaxPerTunnelSource: Int {
        maxDatagramsPerTunnelSource > 0 ? maxDatagramsPerTunnelSource : max(1, maxDatagrams / 2)
    }
}

/// What one fragment did.
///
/// - `held`: the fragment is kept (with its whole frame) until its datagram is complete.
/// - `datagram`: this fragment completed the datagram; the fragments held before it wait in
///   `FragmentReassembler.released` for the caller's verdict.
/// - neither: the fragment was refused (`event` says why; `limit` when a table or share was
///   full) and must be dropped.
///
/// `framesDropped` counts fragments held before that this call dropped (their datagram was
/// refused, overlapped with different bytes, or timed out).
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
    /// The fixed table or per-source share that refused this fragment, if one did.
    public var limit: EngineLimit?
    /// The fragment is held: nothing may be sent yet.
    public var held: Bool
    /// Earlier fragments (held) dropped by this call.
    public var framesDropped: Int

    @inlinable
    public init(
        datagram: UnsafeRawBufferPointer? = nil, event: DecodeEvent? = nil, limit: EngineLimit? = nil,
        held: Bool = false, framesDropped: Int = 0
    ) {
        self.datagram = datagram
        self.event = event
        self.limit = limit
        self.held = held
        self.framesDropped = framesDropped
    }
}

/// Where to read the next released frame (`FragmentReassembler.released`).
public struct HeldFrameCursor: Sendable, Equatable {
    var record: Int32
}

/// Reassembles IPv4 and IPv6 fragments into whole datagrams, and holds every fragment's
/// frame until its datagram is complete and decided.
///
/// Fragments are grouped by source, destination, identification, protocol (IPv6: the
/// fragment header's next header), VLAN and tunnel (VNI and outer source). A fragment whose
/// bytes all arrived before (a duplicate) is dropped (`fragmentOverlap`); one that overlaps
/// earlier bytes with different ones drops the whole datagram (`fragmentOverlapDifferent`:
/// an evasion attempt, since receivers may keep either copy). Limits report
/// `fragmentTooLarge` (datagram or fragment count), `fragmentTableFull` (datagrams or pool
/// bytes), `fragmentSourceLimit` (a client's or node's share) and `fragmentTimeout`;
/// malformed fragments `fragmentInvalid`.
///
/// Each fragment that does not complete its datagram is kept whole (the frame as given)
/// in a pool of fixed chunks. When the last piece arrives, the datagram is returned and
/// the frames held before it wait in `released` for the caller: send them
/// (`nextReleased(_:into:)`) if the datagram is allowed, or `discardReleased()`. Either
/// way they are freed at the next `process`.
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
///     if let datagram = outcome.datagram { /* decode again as LinkType.raw, decide */ }
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
        /// The held frames, in the order received (records of `frames`).
        var framesHead: Int32 = SegmentStore.end
        var framesTail: Int32 = SegmentStore.end
        var frameCount: Int = 0
        /// Held-pool chunks the frames take.
        var heldChunks: Int = 0
        var owner: SourceOwner = .none
    }

    /// The frames of one completed datagram, waiting for the caller's verdict.
    struct Released: Sendable {
        var head: Int32 = SegmentStore.end
        var count = 0
        var chunks = 0
        var owner: SourceOwner = .none
    }

    public let configuration: FragmentReassemblyConfiguration
    var datagrams: [Datagram]
    var store: SegmentStore
    /// Whole frames held: each record is a chunk list of `held` (`frameHeads`) with its
    /// length; records are chained per datagram through `frameNext` (and the free list).
    var held: SegmentStore
    var frameHeads: [Int32]
    var frameLengths: [Int32]
    var frameNext: [Int32]
    var freeFrame: Int32
    var releasedFrames = Released()
    let sourceHasher: SourceHasher
    var datagramCounts: SourceCounts
    var chunkCounts: SourceCounts
    var output: DatagramBuffer
    /// Datagrams being reassembled now.
    ///
    /// ```swift
    /// if fragments.pending > 0 { fragments.expire(now: now, counters: &counters) }
    /// ```
    public private(set) var pending: Int = 0
    /// Fragments held now (complete datagrams' frames awaiting a verdict included).
    public private(set) var heldFrames: Int = 0

    public init(configuration: FragmentReassemblyConfiguration) {
        self.init(configuration: configuration, sources: SourceLimits())
    }

    /// - Parameter sources: how clients and tunnel sources are counted for the per-source
    ///   limits (the engine passes its own, seeded).
    public init(configuration: FragmentReassemblyConfiguration, sources: SourceLimits) {
        self.configuration = configuration
        let emptyKey = DatagramKey(
            source: .zero, destination: .zero, tunnelSource: .zero,
            identifier: 0, tunnelVNI: 0, vlanID: 0, nextHeader: 0, ipVersion: 0)
        datagrams = [Datagram](repeating: Datagram(key: emptyKey), count: max(1, configuration.maxDatagrams))
        let chunkSize = max(64, configuration.chunkSize)
        store = SegmentStore(chunkSize: chunkSize, chunkCount: max(1, configuration.poolBytes / chunkSize))
        let heldChunkSize = max(64, configuration.heldChunkSize)
        let heldChunks = max(1, configuration.heldBytes / heldChunkSize)
        held = SegmentStore(chunkSize: heldChunkSize, chunkCount: heldChunks)
        // Every frame takes at least one chunk: records never run out before chunks do.
        let records = held.chunkCount
        frameHeads = [Int32](repeating: SegmentStore.end, count: records)
        frameLengths = [Int32](repeating: 0, count: records)
        frameNext = (0..<records).map { $0 + 1 < records ? Int32($0 + 1) : SegmentStore.end }
        freeFrame = 0
        let hasher = SourceHasher(sources)
        sourceHasher = hasher
        datagramCounts = SourceCounts(
            buckets: hasher.buckets, perClient: configuration.effectiveMaxPerSource,
            perNode: configuration.effectiveMaxPerTunnelSource)
        let perClient = configuration.maxHeldBytesPerSource > 0
            ? configuration.maxHeldBytesPerSource / heldChunkSize : held.chunkCount / 8
        let perNode = configuration.maxHeldBytesPerTunnelSource > 0
            ? configuration.maxHeldBytesPerTunnelSource / heldChunkSize : held.chunkCount / 2
        chunkCounts = SourceCounts(buckets: hasher.buckets, perClient: max(1, perClient), perNode: max(1, perNode))
        output = DatagramBuffer(size: 40 + 65_535)
    }

    /// Bytes of the held-frame pool in use.
    public var heldBytesInUse: Int { (held.chunkCount - held.freeCount) * held.chunkSize }

    /// Adds one fragment (`packet.isFragment`) whose bytes are `frame`. Returns the
    /// complete datagram when this fragment finished it, says `held` when it keeps the
    /// fragment, and otherwise why it refused it. Frames released by the previous call are
    /// freed first.
    ///
    /// ```swift
    /// let outcome = fragments.process(packet, frame: frame, now: now)
    /// ```
    public mutating func process(_ packet: DecodedPacket, frame: UnsafeRawBufferPointer, now: Timestamp) -> FragmentOutcome {
        if releasedFrames.count > 0 { discardReleased() }
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
        var dropped = 0
        var slot = find(key)
        if let found = slot, isTimedOut(datagrams[found], now: now) {
            dropped += drop(found)
            slot = nil
            event = .fragmentTimeout
        }
        if slot == nil {
            let owner = sourceHasher.owner(
                client: key.source, vlanID: key.vlanID, tunnelVNI: key.tunnelVNI, tunnelSource: key.tunnelSource)
            if let refusal = datagramCounts.refusal(owner) {
                return FragmentOutcome(
                    event: .fragmentSourceLimit,
                    limit: refusal == .client ? .fragmentsPerSource : .fragmentsPerTunnelSource, framesDropped: dropped)
            }
            slot = allocate(key: key, now: now, owner: owner, dropped: &dropped)
        }
        guard let index = slot else {
            return FragmentOutcome(event: .fragmentTableFull, limit: .fragmentTable, framesDropped: dropped)
        }

        datagrams[index].fragments += 1
        if datagrams[index].fragments > configuration.maxFragmentsPerDatagram {
            dropped += drop(index)
            return FragmentOutcome(event: .fragmentTooLarge, framesDropped: dropped)
        }
        let total = datagrams[index].totalLength
        if !packet.moreFragments {
            if (total >= 0 && total != end) || datagrams[index].maxEnd > end {
                dropped += drop(index)
                return FragmentOutcome(event: .fragmentInvalid, framesDropped: dropped)
            }
        } else if total >= 0 && end > total {
            dropped += drop(index)
            return FragmentOutcome(event: .fragmentInvalid, framesDropped: dropped)
        }

        let data = UnsafeRawBufferPointer(rebasing: frame[dataOffset..<(dataOffset + dataLength)])
        let result = store.insert(data, at: start, into: &datagrams[index].head, budget: Int.max)
        datagrams[index].covered += result.added
        if result.overlapDifferent {
            // Receivers disagree on which copy wins (and Linux drops such datagrams): no
            // byte of this datagram can be trusted to be what the policy saw.
            dropped += drop(index)
            return FragmentOutcome(event: .fragmentOverlapDifferent, framesDropped: dropped)
        }
        if result.exhausted {
            dropped += drop(index)
            return FragmentOutcome(event: .fragmentTableFull, limit: .fragmentPool, framesDropped: dropped)
        }
        if result.added == 0 {
            // Every byte arrived before: a duplicate. Dropped (the held copy goes out), and
            // its fields (an end) are not taken.
            return FragmentOutcome(event: .fragmentOverlap, framesDropped: dropped)
        }
        if result.added < dataLength { event = .fragmentOverlap }
        if !packet.moreFragments { datagrams[index].totalLength = end }
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

        let datagram = datagrams[index]
        if datagram.totalLength >= 0 && datagram.covered == datagram.totalLength {
            let bytes = assemble(datagram)
            // The frames held before this one wait for the verdict; this one is the caller's.
            releasedFrames = Released(
                head: datagram.framesHead, count: datagram.frameCount, chunks: datagram.heldChunks, owner: datagram.owner)
            datagrams[index].framesHead = SegmentStore.end
            datagrams[index].framesTail = SegmentStore.end
            datagrams[index].frameCount = 0
            datagrams[index].heldChunks = 0
            _ = drop(index)
            return FragmentOutcome(datagram: bytes, event: event, framesDropped: dropped)
        }
        // Not complete: keep the whole frame, charged to the datagram's owner.
        let chunks = (frame.count + held.chunkSize - 1) / held.chunkSize
        let owner = datagram.owner
        if let refusal = chunkCounts.refusal(owner, amount: Int32(chunks)) {
            dropped += drop(index)
            return FragmentOutcome(
                event: .fragmentSourceLimit, limit: refusal == .client ? .fragmentsPerSource : .fragmentsPerTunnelSource,
                framesDropped: dropped)
        }
        guard frame.count > 0, chunks <= held.freeCount, freeFrame != SegmentStore.end else {
            dropped += drop(index)
            return FragmentOutcome(event: .fragmentTableFull, limit: .fragmentPool, framesDropped: dropped)
        }
        let record = freeFrame
        let r = Int(record)
        freeFrame = frameNext[r]
        frameHeads[r] = SegmentStore.end
        _ = held.insert(frame, at: 0, into: &frameHeads[r], budget: Int.max)
        frameLengths[r] = Int32(frame.count)
        frameNext[r] = SegmentStore.end
        if datagrams[index].framesTail == SegmentStore.end {
            datagrams[index].framesHead = record
        } else {
            frameNext[Int(datagrams[index].framesTail)] = record
        }
        datagrams[index].framesTail = record
        datagrams[index].frameCount += 1
        datagrams[index].heldChunks += chunks
        chunkCounts.add(owner, Int32(chunks))
        heldFrames += 1
        return FragmentOutcome(event: event, held: true, framesDropped: dropped)
    }

    /// The frames held before the fragment that completed the last datagram, in the order
    /// received; valid until the next `process`, `expire` or `discardReleased`.
    ///
    /// ```swift
    /// var cursor = fragments.released
    /// while let length = fragments.nextReleased(&cursor, into: buffer) { send(buffer[..<length]) }
    /// ```
    public var released: HeldFrameCursor { HeldFrameCursor(record: releasedFrames.head) }

    /// How many frames wait in `released`.
    public var releasedCount: Int { releasedFrames.count }

    /// Copies the frame at `cursor` into `destination` and moves the cursor on. Returns its
    /// length, 0 when it does not fit (skipped), nil when there is none left.
    public func nextReleased(_ cursor: inout HeldFrameCursor, into destination: UnsafeMutableRawBufferPointer) -> Int? {
        let record = cursor.record
        guard record != SegmentStore.end, Int(record) < frameHeads.count else { return nil }
        let r = Int(record)
        cursor.record = frameNext[r]
        let length = Int(frameLengths[r])
        guard length <= destination.count, let base = destination.baseAddress else { return 0 }
        held.copy(frameHeads[r], to: base, origin: 0)
        return length
    }

    /// Frees the frames waiting in `released` (their datagram was not allowed, or they
    /// were sent). Returns how many there were.
    @discardableResult
    public mutating func discardReleased() -> Int {
        let n = releasedFrames.count
        var head = releasedFrames.head
        freeFrames(&head)
        chunkCounts.remove(releasedFrames.owner, Int32(releasedFrames.chunks))
        releasedFrames = Released()
        return n
    }

    /// Returns a chain of frame records (and their chunks) to the pools.
    mutating func freeFrames(_ head: inout Int32) {
        while head != SegmentStore.end {
            let r = Int(head)
            head = frameNext[r]
            held.free(&frameHeads[r])
            frameNext[r] = freeFrame
            freeFrame = Int32(r)
            heldFrames -= 1
        }
    }

    /// Drops datagrams whose timeout passed at `now`, with the frames they held, counting
    /// each datagram as `fragmentTimeout`. Scans every datagram slot; call it periodically
    /// (the engine does once per second of packet time), not per packet. Returns how many
    /// datagrams and held frames were dropped.
    ///
    /// ```swift
    /// fragments.expire(now: now, counters: &counters)
    /// ```
    @discardableResult
    public mutating func expire(now: Timestamp, counters: inout DecodeCounters) -> (datagrams: Int, frames: Int) {
        guard pending > 0 else { return (0, 0) }
        var dropped = 0
        var frames = 0
        for i in datagrams.indices where datagrams[i].active && isTimedOut(datagrams[i], now: now) {
            frames += drop(i)
            counters.count(.fragmentTimeout)
            dropped += 1
        }
        return (dropped, frames)
    }

    /// Drops every datagram being reassembled and every frame held (the end of a capture,
    /// a firewall stopping). Returns how many frames of incomplete datagrams were dropped
    /// (frames already released to the caller are freed, not counted again).
    @discardableResult
    public mutating func removeAll() -> Int {
        discardReleased()
        var frames = 0
        for i in datagrams.indices where datagrams[i].active { frames += drop(i) }
        return frames
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

    mutating func allocate(key: DatagramKey, now: Timestamp, owner: SourceOwner, dropped: inout Int) -> Int? {
        var free: Int? = nil
        for i in datagrams.indices {
            if !datagrams[i].active {
                free = i
                break
            }
        }
        if free == nil {
            // Full: reuse a timed-out slot if there is one (its frames are dropped).
            for i in datagrams.indices where isTimedOut(datagrams[i], now: now) {
                dropped += drop(i)
                free = i
                break
            }
        }
        guard let index = free else { return nil }
        datagrams[index] = Datagram(key: key, firstSeen: now, active: true, owner: owner)
        datagramCounts.add(owner)
        pending += 1
        return index
    }

    /// Forgets a datagram: its data, its held frames and its owner's share. Returns how
    /// many held frames were dropped with it.
    mutating func drop(_ index: Int) -> Int {
        guard datagrams[index].active else { return 0 }
        store.free(&datagrams[index].head)
        let count = datagrams[index].frameCount
        var frames = datagrams[index].framesHead
        freeFrames(&frames)
        datagrams[index].framesHead = SegmentStore.end
        datagrams[index].framesTail = SegmentStore.end
        datagrams[index].frameCount = 0
        chunkCounts.remove(datagrams[index].owner, Int32(datagrams[index].heldChunks))
        datagrams[index].heldChunks = 0
        datagramCounts.remove(datagrams[index].owner)
        datagrams[index].active = false
        pending -= 1
        return count
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

import RampartWire

/// Receives a stream's bytes in order. Implemented by App-ID and the other stream
/// inspectors; called synchronously, the bytes are valid only during the call.
///
/// ```swift
/// struct Collector: StreamConsumer {
///     var toServer: [UInt8] = []
///     mutating func deliver(_ bytes: UnsafeRawBufferPointer, direction: StreamDirection) {
///         if direction == .toServer { toServer.append(contentsOf: bytes) }
///     }
/// }
/// ```
public protocol StreamConsumer {
    mutating func deliver(_ bytes: UnsafeRawBufferPointer, direction: StreamDirection)
}

/// Limits of a `StreamReassembler`. Memory is `maxStreams` small records plus
/// `poolBytes` of chunks, all allocated once.
///
/// ```swift
/// var configuration = StreamReassemblyConfiguration()
/// configuration.depth = 0          // no depth limit
/// ```
public struct StreamReassemblyConfiguration: Sendable, Equatable {
    /// Sessions that can be reassembled at once.
    public var maxStreams: Int = 65_536
    /// Bytes delivered per direction before reassembly stops for it; 0 means no limit.
    public var depth: Int = 4096
    /// Out-of-order bytes buffered per direction before giving up on it.
    public var maxBufferedPerDirection: Int = 65_536
    /// Total bytes of out-of-order buffers, shared by every stream.
    public var poolBytes: Int = 16 << 20
    /// Size of one buffer chunk.
    public var chunkSize: Int = 1024
    /// Chunks one direction may hold out of order. Each piece after a hole takes a whole
    /// chunk, so without this bound one-byte segments would hold 1 KiB each. 0: twice as
    /// many as `maxBufferedPerDirection` fills (128 by default; a 1448-byte segment takes
    /// two chunks).
    public var maxChunksPerDirection: Int = 0
    /// Chunks one client (its sessions together) may hold; 0: an eighth of the pool.
    public var maxChunksPerSource: Int = 0
    /// Chunks all clients behind one tunnel source may hold; 0: half of the pool.
    public var maxChunksPerTunnelSource: Int = 0

    @inlinable public init() {}

    /// Chunks in the pool.
    public var poolChunks: Int { max(1, poolBytes / max(64, chunkSize)) }
    /// `maxChunksPerDirection` with its default applied.
    public var effectiveMaxChunksPerDirection: Int {
        maxChunksPerDirection > 0 ? maxChunksPerDirection : max(1, 2 * maxBufferedPerDirection / max(64, chunkSize))
    }
    /// `maxChunksPerSource` with its default applied.
    public var effectiveMaxChunksPerSource: Int { maxChunksPerSource > 0 ? maxChunksPerSource : max(1, poolChunks / 8) }
    /// `maxChunksPerTunnelSource` with its default applied.
    public var effectiveMaxChunksPerTunnelSource: Int {
        maxChunksPerTunnelSource > 0 ? maxChunksPerTunnelSource : max(1, poolChunks / 2)
    }
}

/// In-order delivery of each TCP direction's payload to a `StreamConsumer`.
///
/// Segments that arrive in order go straight from the packet to the consumer; segments
/// after a hole are copied into a shared chunk pool until the hole fills. The first copy
/// of every byte wins; an overlapping copy that differs is reported as
/// `streamOverlapDifferent`. Retransmissions of already-delivered bytes are dropped
/// silently (they are no longer held, so they cannot be compared). Exceeding the
/// per-direction or pool limit reports `streamOutOfOrderLimit` once and stops reassembly
/// of that direction; the session itself keeps being tracked.
///
/// ```swift
/// var reassembler = StreamReassembler(configuration: StreamReassemblyConfiguration())
/// if table[slot].stream == .none, let handle = reassembler.open() { table[slot].stream = handle }
/// let event = reassembler.process(
///     table[slot].stream, direction: stream, packet: packet, frame: frame, into: &appID)
/// // when the session ends:
/// reassembler.close(session.stream)
/// ```
public struct StreamReassembler: Sendable {
    enum Status: UInt8, Sendable {
        /// Nothing seen in this direction yet.
        case idle
        case active
        /// Depth reached; nothing more to deliver.
        case finished
        /// A limit was exceeded.
        case abandoned
    }

    struct Side: Sendable {
        /// Sequence number of the next byte to deliver.
        var nextSequence: UInt32 = 0
        /// Stream offset of that byte (bytes delivered so far).
        var delivered: Int = 0
        var buffered: Int = 0
        /// Chunks held by `head`'s list.
        var chunks: Int32 = 0
        var head: Int32 = SegmentStore.end
        var status: Status = .idle
    }

    public let configuration: StreamReassemblyConfiguration
    var sides: [Side]
    var store: SegmentStore
    /// Free stream indices, used as a stack.
    var freeStreams: [Int32]
    /// `maxStreams`: `sides`, `inUse` and `owners` are reserved for it and grow one stream at
    /// a time (a stream per session of the table, written at start, was most of what a short
    /// `rampart inspect` spent before its first packet).
    let streamCapacity: Int
    var inUse: [Bool]
    /// Who each stream's buffered chunks are charged to.
    var owners: [SourceOwner]
    var chunkCounts: SourceCounts
    /// The limit behind the last `streamOutOfOrderLimit` that `process` returned.
    public private(set) var lastLimit: EngineLimit?

    /// - Parameter sourceBuckets: buckets of the per-source tables (`SourceLimits.buckets`).
    public init(configuration: StreamReassemblyConfiguration, sourceBuckets: Int = SourceLimits().buckets) {
        self.configuration = configuration
        let streams = max(1, configuration.maxStreams)
        streamCapacity = streams
        sides = []
        sides.reserveCapacity(streams * 2)
        inUse = []
        inUse.reserveCapacity(streams)
        owners = []
        owners.reserveCapacity(streams)
        chunkCounts = SourceCounts(
            buckets: sourceBuckets, perClient: configuration.effectiveMaxChunksPerSource,
            perNode: configuration.effectiveMaxChunksPerTunnelSource)
        freeStreams = []
        freeStreams.reserveCapacity(streams)
        let chunkSize = max(64, configuration.chunkSize)
        store = SegmentStore(chunkSize: chunkSize, chunkCount: max(1, configuration.poolBytes / chunkSize))
    }

    /// Streams open now.
    ///
    /// ```swift
    /// statistics.streams = reassembler.openStreams
    /// ```
    public var openStreams: Int { inUse.count - freeStreams.count }

    /// Bytes of the chunk pool in use (whole chunks).
    ///
    /// ```swift
    /// reassembler.bufferedBytes <= configuration.poolBytes   // always
    /// ```
    public var bufferedBytes: Int { (store.chunkCount - store.freeCount) * store.chunkSize }

    /// Reserves reassembly state for one session; nil when `maxStreams` are open.
    ///
    /// ```swift
    /// if let handle = reassembler.open() { table[slot].stream = handle }
    /// ```
    public mutating func open(owner: SourceOwner = .none) -> StreamHandle? {
        if let index = freeStreams.popLast() {
            inUse[Int(index)] = true
            owners[Int(index)] = owner
            sides[Int(index) * 2] = Side()
            sides[Int(index) * 2 + 1] = Side()
            return StreamHandle(rawValue: index)
        }
        guard inUse.count < streamCapacity else { return nil }
        // Within the reserved capacity: nothing is allocated.
        let index = Int32(inUse.count)
        inUse.append(true)
        owners.append(owner)
        sides.append(Side())
        sides.append(Side())
        return StreamHandle(rawValue: index)
    }

    /// Releases a session's state and its buffered bytes. Ignores `.none` and stale handles.
    ///
    /// ```swift
    /// reassembler.close(session.stream)
    /// ```
    public mutating func close(_ handle: StreamHandle) {
        let index = Int(handle.rawValue)
        guard index >= 0, index < inUse.count, inUse[index] else { return }
        for k in index * 2 ... index * 2 + 1 {
            var side = sides[k]
            release(&side, owner: owners[index])
            sides[k] = side
        }
        inUse[index] = false
        freeStreams.append(handle.rawValue)
    }

    /// Bytes delivered so far in one direction; 0 for `.none` or a closed handle.
    ///
    /// ```swift
    /// let seen = reassembler.delivered(session.stream, direction: .toServer)
    /// ```
    public func delivered(_ handle: StreamHandle, direction: StreamDirection) -> Int {
        let index = Int(handle.rawValue)
        guard index >= 0, index < inUse.count, inUse[index] else { return 0 }
        return sides[index * 2 + Int(direction.rawValue)].delivered
    }

    /// Whether reassembly of this direction stopped (depth reached or a limit exceeded).
    ///
    /// ```swift
    /// if reassembler.isDone(session.stream, direction: .toClient) { /* App-ID has all it gets */ }
    /// ```
    public func isDone(_ handle: StreamHandle, direction: StreamDirection) -> Bool {
        let index = Int(handle.rawValue)
        guard index >= 0, index < inUse.count, inUse[index] else { return true }
        let status = sides[index * 2 + Int(direction.rawValue)].status
        return status == .finished || status == .abandoned
    }

    /// Feeds one TCP packet's payload, cut from `frame` by the decoder's offsets.
    /// Returns nil for a packet whose payload lies outside the frame.
    ///
    /// ```swift
    /// let event = reassembler.process(handle, direction: .toServer, packet: packet, frame: frame, into: &consumer)
    /// ```
    public mutating func process<C: StreamConsumer>(
        _ handle: StreamHandle, direction: StreamDirection, packet: DecodedPacket,
        frame: UnsafeRawBufferPointer, into consumer: inout C
    ) -> DecodeEvent? {
        let offset = packet.payloadOffset
        let length = packet.payloadLength
        guard offset >= 0, length >= 0, offset <= frame.count, length <= frame.count - offset else { return nil }
        let payload = UnsafeRawBufferPointer(rebasing: frame[offset..<(offset + length)])
        return process(
            handle, direction: direction, sequence: packet.tcpSequence, flags: packet.tcpFlags,
            payload: payload, into: &consumer)
    }

    /// Feeds one segment: its sequence number, flags (a SYN consumes one sequence number)
    /// and payload. Delivers every byte that became contiguous to `consumer`.
    ///
    /// ```swift
    /// reassembler.process(handle, direction: .toServer, sequence: 1001, flags: [.ack, .psh],
    ///                     payload: bytes, into: &consumer)
    /// ```
    @discardableResult
    public mutating func process<C: StreamConsumer>(
        _ handle: StreamHandle, direction: StreamDirection, sequence: UInt32, flags: TCPFlags,
        payload: UnsafeRawBufferPointer, into consumer: inout C
    ) -> DecodeEvent? {
        let index = Int(handle.rawValue)
        guard index >= 0, index < inUse.count, inUse[index] else { return nil }
        let sideIndex = index * 2 + Int(direction.rawValue)
        let syn = flags.contains(.syn)
        let dataSequence = syn ? sequence &+ 1 : sequence

        switch sides[sideIndex].status {
        case .finished, .abandoned:
            return nil
        case .idle:
            // Start at the SYN, or at the first segment seen (midstream pickup).
            sides[sideIndex].nextSequence = dataSequence
            sides[sideIndex].status = .active
        case .active:
            break
        }
        if payload.isEmpty { return nil }

        var side = sides[sideIndex]
        defer { sides[sideIndex] = side }
        var data = payload
        var start = Int(SequenceNumber.distance(from: side.nextSequence, to: dataSequence))
        if start < 0 {
            // Already delivered (a retransmission), wholly or in part.
            if -start >= data.count { return nil }
            data = UnsafeRawBufferPointer(rebasing: data[(-start)...])
            start = 0
        }
        let depth = configuration.depth
        if depth > 0 {
            let remaining = depth - side.delivered
            if start >= remaining { return nil }
            if data.count > remaining - start {
                data = UnsafeRawBufferPointer(rebasing: data[..<(remaining - start)])
            }
        }

        let owner = owners[index]
        if start == 0 && side.head == SegmentStore.end {
            consumer.deliver(data, direction: direction)
            advance(&side, by: data.count)
            finishIfDeep(&side, owner: owner)
            return nil
        }

        // At most this many new chunks (fewer where the data overlaps what is held).
        let wanted = Int32(clamping: (data.count + store.chunkSize - 1) / store.chunkSize)
        var refused: EngineLimit?
        if side.chunks + wanted > Int32(clamping: configuration.effectiveMaxChunksPerDirection) {
            refused = .reassemblyPerDirection
        } else if let refusal = chunkCounts.refusal(owner, amount: wanted) {
            refused = refusal == .client ? .reassemblyPerSource : .reassemblyPerTunnelSource
        }
        if let refused {
            release(&side, owner: owner)
            side.status = .abandoned
            lastLimit = refused
            return .streamOutOfOrderLimit
        }
        let budget = configuration.maxBufferedPerDirection - side.buffered
        let freeBefore = store.freeCount
        let result = store.insert(data, at: side.delivered + start, into: &side.head, budget: budget)
        let taken = Int32(truncatingIfNeeded: freeBefore - store.freeCount)
        side.chunks += taken
        chunkCounts.add(owner, taken)
        side.buffered += result.added
        if result.overBudget || result.exhausted {
            release(&side, owner: owner)
            side.status = .abandoned
            lastLimit = result.exhausted ? .reassemblyPool : .reassemblyPerDirection
            return .streamOutOfOrderLimit
        }
        // Deliver whatever became contiguous.
        while side.head != SegmentStore.end && store.starts[Int(side.head)] == side.delivered {
            let chunk = Int(side.head)
            let count = Int(store.lengths[chunk])
            let base = chunk * store.chunkSize
            store.storage.withUnsafeBytes { stored in
                consumer.deliver(UnsafeRawBufferPointer(rebasing: stored[base..<(base + count)]), direction: direction)
            }
            advance(&side, by: count)
            side.buffered -= count
            store.removeFirst(&side.head)
            side.chunks -= 1
            chunkCounts.remove(owner)
        }
        finishIfDeep(&side, owner: owner)
        return result.overlapDifferent ? .streamOverlapDifferent : nil
    }

    @inline(__always)
    func advance(_ side: inout Side, by count: Int) {
        side.delivered += count
        side.nextSequence = side.nextSequence &+ UInt32(truncatingIfNeeded: count)
    }

    @inline(__always)
    mutating func finishIfDeep(_ side: inout Side, owner: SourceOwner) {
        if configuration.depth > 0 && side.delivered >= configuration.depth {
            release(&side, owner: owner)
            side.status = .finished
        }
    }

    /// Returns a direction's chunks to the pool and its owner's count.
    @inline(__always)
    mutating func release(_ side: inout Side, owner: SourceOwner) {
        if side.chunks > 0 { chunkCounts.remove(owner, side.chunks) }
        store.free(&side.head)
        side.chunks = 0
        side.buffered = 0
    }

    /// Out-of-order chunks the client of `owner` holds now.
    public func chunksHeld(by owner: SourceOwner) -> Int { chunkCounts.held(owner) }
}

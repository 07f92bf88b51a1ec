import CLinux
#if canImport(Glibc)
import Glibc
#endif
import RampartInspect
import RampartPolicy
import RampartWire

/// The data plane of one core: takes tunnel datagrams, runs their inner frames through the
/// engine, and queues what goes back into the tunnel (allowed frames with their MACs
/// swapped and checksums completed, TCP resets). Socket-free, so tests drive it directly;
/// `TunnelEndpoint` gives it a socket and a loop.
///
/// Not thread-safe: one thread owns it. Nothing on the per-datagram path allocates.
///
/// ```swift
/// let worker = FirewallWorker(engine: engine, sink: log, allowedVNIs: [7])
/// let slot = worker.receiveSlot(0)                      // receive into it
/// worker.handle(slot: 0, length: n, name: peer, nameLength: len, timestamp: now)
/// // worker.outgoing now holds the datagrams to send
/// ```
public final class FirewallWorker<Sink: EventSink> {
    public var engine: Engine
    public var sink: Sink
    public var counters = DataplaneCounters()
    /// VNIs accepted; empty accepts every VNI.
    public var allowedVNIs: [UInt32]
    /// Who may send tunnel datagrams (`spec.tunnelSources`); `.any` unless configured.
    public var admission: TunnelAdmission = .any
    /// The URL filtering profiles' own pages (`blockPage`), by profile index; the built-in
    /// page for the others. Replaced with the policy on reload.
    public var blockPages: [Int32: String] = [:]
    @usableFromInline var admitted = AdmissionCache()
    /// The last sender refused, for the log.
    public var lastRefusedSender: IPAddress?
    /// The UDP port frames are sent back to on the node: the port its tunnel device listens
    /// on (a kernel VXLAN device's `dstport`, 6080), not the flow-hashed source port it sent
    /// from. Nil sends back to the sender's source port (a userspace peer).
    public var returnPort: UInt16?
    /// The IP MTU of the path back to the pods: longer TCP packets (TSO super-packets a node
    /// hands over a veth) are cut into segments that fit.
    public var innerMTU: Int
    public let batchSize: Int
    /// Whether the socket coalesces received datagrams (UDP GRO, `TunnelSocket.enableReceiveCoalescing`):
    /// receives then get control space for the segment size, and a slot may hold several
    /// datagrams.
    public var receiveCoalescing = false {
        didSet { prepareReceive() }
    }
    /// Bytes per receive slot, headroom included.
    public let slotSize: Int
    public let receive: MessageBatch
    /// Forwarded frames (in their receive slots) and resets (in `resetStorage`).
    public let outgoing: MessageBatch
    @usableFromInline let slots: UnsafeMutableRawBufferPointer
    @usableFromInline let resetStorage: UnsafeMutableRawBufferPointer
    @usableFromInline static var resetSlotSize: Int { 128 }
    /// Resets one batch can queue: two per slot, times a few for coalesced receives.
    @usableFromInline static func resetSlots(_ batchSize: Int) -> Int { batchSize &* 8 }
    @usableFromInline var resetsUsed = 0
    @usableFromInline let segmentArena: UnsafeMutableRawBufferPointer
    @usableFromInline var segmentArenaUsed = 0
    @usableFromInline var packetNumber: UInt64 = 0
    /// The bytes in front of a coalesced datagram (the previous one's tail), kept while the
    /// synthetic outer header borrows them.
    @usableFromInline let savedHeadroom: UnsafeMutableRawBufferPointer

    public init(
        engine: Engine, sink: Sink, allowedVNIs: [UInt32] = [], returnPort: UInt16? = 6080, innerMTU: Int = 1500,
        batchSize: Int = 32, slotSize: Int = 65_536 + 64
    ) {
        self.engine = engine
        self.returnPort = returnPort
        self.innerMTU = innerMTU
        self.sink = sink
        self.allowedVNIs = allowedVNIs
        self.batchSize = batchSize
        self.slotSize = slotSize
        receive = MessageBatch(capacity: batchSize)
        // Room for every slot to hold a segmented 64 KB packet (about 48 segments at 1500)
        // or 64 coalesced datagrams (the kernel's UDP GRO limit), plus resets.
        outgoing = MessageBatch(capacity: batchSize * 66)
        segmentArena = .allocate(byteCount: batchSize * (slotSize + 64 * 128), alignment: 64)
        segmentArena.initializeMemory(as: UInt8.self, repeating: 0)
        slots = .allocate(byteCount: batchSize * slotSize, alignment: 64)
        slots.initializeMemory(as: UInt8.self, repeating: 0)
        resetStorage = .allocate(byteCount: Self.resetSlots(batchSize) * Self.resetSlotSize, alignment: 64)
        resetStorage.initializeMemory(as: UInt8.self, repeating: 0)
        savedHeadroom = .allocate(byteCount: OuterHeader.headroom, alignment: 8)
        savedHeadroom.initializeMemory(as: UInt8.self, repeating: 0)
        prepareReceive()
    }

    deinit {
        slots.deallocate()
        resetStorage.deallocate()
        segmentArena.deallocate()
        savedHeadroom.deallocate()
    }

    /// Where datagram `i` of a batch is received (past the headroom for the outer header).
    @inlinable
    public func receiveSlot(_ i: Int) -> UnsafeMutableRawBufferPointer {
        let base = slots.baseAddress! + i &* slotSize
        return UnsafeMutableRawBufferPointer(start: base + OuterHeader.headroom, count: slotSize &- OuterHeader.headroom)
    }

    /// Points the receive messages at the slots again (after a batch; cheap).
    public func prepareReceive() {
        for i in 0 ..< batchSize {
            let slot = receiveSlot(i)
            receive.prepareReceive(i, base: slot.baseAddress!, length: slot.count, control: receiveCoalescing)
        }
    }

    /// Empties the send queue before a new batch.
    @inlinable
    public func beginBatch() {
        outgoing.count = 0
        resetsUsed = 0
        segmentArenaUsed = 0
    }

    /// Handles received message `i` of `receive` (its length and peer as `recvmmsg` left them).
    @inlinable
    public func handleReceived(_ i: Int, timestamp: Timestamp) {
        let header = receive.header(i)
        let truncated = header.pointee.msg_flags & Int32(MSG_TRUNC) != 0
        if truncated {
            counters.datagramsReceived &+= 1
            counters.count(.receiveTruncated)
            return
        }
        guard let name = header.pointee.msg_name else { return }
        let segmentSize = receiveCoalescing ? receive.receivedSegmentSize(i) : 0
        handle(slot: i, length: receive.length(i), segmentSize: segmentSize, name: UnsafeRawPointer(name),
               nameLength: header.pointee.msg_namelen, timestamp: timestamp)
    }

    /// Handles the `length` bytes in slot `i` from the peer at `name`: datagrams of
    /// `segmentSize` bytes back to back (the last may be shorter), as UDP GRO coalesces them,
    /// or one datagram when `segmentSize` is 0 or not less than `length`.
    @inlinable
    public func handle(slot i: Int, length: Int, segmentSize: Int, name: UnsafeRawPointer, nameLength: socklen_t, timestamp: Timestamp) {
        let room = slotSize &- OuterHeader.headroom
        guard segmentSize > 0, segmentSize < length, length <= room else {
            handle(slot: i, length: length, name: name, nameLength: nameLength, timestamp: timestamp)
            return
        }
        counters.coalescedReceives &+= 1
        let first = i &* slotSize &+ OuterHeader.headroom
        var offset = 0
        while offset < length {
            let piece = min(segmentSize, length &- offset)
            counters.coalescedDatagrams &+= 1
            if offset == 0 {
                handle(at: first, length: piece, name: name, nameLength: nameLength, timestamp: timestamp)
            } else {
                // The outer header borrows the previous datagram's tail (already handled,
                // maybe queued to send): keep it and put it back.
                let before = UnsafeRawBufferPointer(start: slots.baseAddress! + (first &+ offset &- OuterHeader.headroom), count: OuterHeader.headroom)
                savedHeadroom.copyMemory(from: before)
                handle(at: first &+ offset, length: piece, name: name, nameLength: nameLength, timestamp: timestamp)
                UnsafeMutableRawPointer(mutating: before.baseAddress!).copyMemory(from: savedHeadroom.baseAddress!, byteCount: OuterHeader.headroom)
            }
            offset &+= piece
        }
    }

    /// Handles one datagram of `length` bytes in slot `i`, from the peer at `name`.
    @inlinable
    public func handle(slot i: Int, length: Int, name: UnsafeRawPointer, nameLength: socklen_t, timestamp: Timestamp) {
        guard length >= 0, length <= slotSize &- OuterHeader.headroom else {
            counters.datagramsReceived &+= 1
            counters.bytesReceived &+= UInt64(truncatingIfNeeded: length)
            counters.count(.truncatedTunnel)
            return
        }
        handle(at: i &* slotSize &+ OuterHeader.headroom, length: length, name: name, nameLength: nameLength, timestamp: timestamp)
    }

    /// Handles one datagram of `length` bytes at byte `start` of the slots, which has
    /// `OuterHeader.headroom` bytes of the same slot in front of it (the caller checked that
    /// it ends inside the slot).
    @inlinable
    func handle(at start: Int, length: Int, name: UnsafeRawPointer, nameLength: socklen_t, timestamp: Timestamp) {
        counters.datagramsReceived &+= 1
        counters.bytesReceived &+= UInt64(truncatingIfNeeded: length)
        guard let sender = SocketAddress(reading: name) else {
            counters.count(.truncatedTunnel)
            return
        }
        let whole = UnsafeMutableRawBufferPointer(start: slots.baseAddress! + (start &- OuterHeader.headroom), count: OuterHeader.headroom &+ length)
        let datagramStart = OuterHeader.headroom
        let datagram = UnsafeMutableRawBufferPointer(rebasing: whole[datagramStart ..< datagramStart &+ length])
        let tunnel: TunnelDatagram
        switch TunnelDatagram.parse(UnsafeRawBufferPointer(datagram)) {
        case .failure(let reason):
            counters.count(reason)
            return
        case .success(let parsed):
            tunnel = parsed
        }
        if !allowedVNIs.isEmpty && !allowedVNIs.contains(tunnel.vni) {
            counters.count(.wrongVNI)
            return
        }
        if !admitted.admits(sender.address, admission: admission, policy: engine.policy) {
            counters.count(.tunnelSource)
            lastRefusedSender = sender.address
            return
        }
        let start = OuterHeader.write(sender: sender.address, senderPort: sender.port, kind: tunnel.kind,
                                      datagramLength: length, into: whole, before: datagramStart)
        guard start >= 0 else {
            counters.count(.truncatedTunnel)
            return
        }
        packetNumber &+= 1
        let frame = UnsafeRawBufferPointer(rebasing: whole[start ..< datagramStart &+ length])
        var verdict = engine.process(frame: frame, linkType: .ethernet, timestamp: timestamp, packetNumber: packetNumber, sink: &sink)
        if verdict == .rewrite {
            // A sinkholed DNS answer: the engine changes these bytes (same length, checksum
            // kept), then the frame goes on like any forwarded one.
            engine.applyRewrite(to: UnsafeMutableRawBufferPointer(rebasing: whole[start ..< datagramStart &+ length]))
            verdict = .forward
        }

        let inner = UnsafeMutableRawBufferPointer(rebasing: datagram[tunnel.innerOffset...])
        var packet = DecodedPacket()
        let event = PacketDecoder.decode(UnsafeRawBufferPointer(inner), linkType: .ethernet, into: &packet)
        switch verdict {
        case .hold:
            // An IP fragment the engine keeps until its datagram is complete and decided.
            return
        case .drop:
            counters.count(.policy)
        case .forward, .rewrite:
            guard event == nil, packet.ipVersion != 0 else {
                counters.count(.nonIP)
                return
            }
            // This fragment completed an allowed datagram: the ones held before it go first.
            if engine.releasedFragmentCount > 0 { queueReleasedFragments(name: name, nameLength: nameLength) }
            if TCPSegmenter.needsSegmenting(packet, mtu: innerMTU) {
                // Each segment gets a complete checksum of its own, so a wrong one is
                // refused here rather than made valid.
                if FrameRewrite.checksumState(UnsafeRawBufferPointer(inner), packet: packet) == .invalid {
                    counters.count(.badChecksum)
                    return
                }
                FrameRewrite.swapMACs(inner)
                if tunnel.kind == .vxlan { TunnelDatagram.writeVXLAN(vni: tunnel.vni, into: datagram, at: 0) }
                queueSegments(packet: packet, datagram: datagram, tunnel: tunnel, name: name, nameLength: nameLength)
                return
            }
            switch FrameRewrite.completeChecksum(inner, packet: packet) {
            case .invalid:
                counters.count(.badChecksum)
                return
            case .partial:
                counters.checksumsCompleted &+= 1
            case .valid, .notChecked:
                break
            }
            FrameRewrite.swapMACs(inner)
            if tunnel.kind == .vxlan { TunnelDatagram.writeVXLAN(vni: tunnel.vni, into: datagram, at: 0) }
            if outgoing.append(base: datagram.baseAddress!, length: length, name: name, nameLength: nameLength) {
                setReturnPort(outgoing.count &- 1)
                counters.framesForwarded &+= 1
            } else {
                counters.count(.sendQueueFull)
            }
        case .respond:
            // A URL filtering page: the client gets the answer, the server a reset; the
            // request itself goes nowhere.
            counters.count(.policy)
            guard event == nil, packet.ipProtocol == .tcp, !packet.isFragment else { return }
            if let bytes = engine.aiResponse, engine.aiResponseReplacesPacket {
                // An AI stream ended by its profile: the error event in place of the server's
                // packet, to the client, then FIN; the server is reset.
                queueResponse(bytes: bytes, packet: packet, inner: inner, tunnel: tunnel, name: name, nameLength: nameLength,
                              inPlaceOf: true)
                queueReset(.towardSender, packet: packet, inner: inner, tunnel: tunnel, name: name, nameLength: nameLength)
                return
            } else if let bytes = engine.aiResponse {
                // An AI security profile's block: the API's own error (403 and its JSON).
                queueResponse(bytes: bytes, packet: packet, inner: inner, tunnel: tunnel, name: name, nameLength: nameLength)
            } else if let response = engine.urlResponse {
                queueResponse(response, packet: packet, inner: inner, tunnel: tunnel, name: name, nameLength: nameLength)
            } else {
                return
            }
            queueReset(.towardReceiver, packet: packet, inner: inner, tunnel: tunnel, name: name, nameLength: nameLength)
        case .reset(let toClient, let toServer):
            counters.count(.policy)
            guard event == nil, packet.ipProtocol == .tcp, !packet.isFragment else { return }
            let fromClient = TCPReset.senderIsClient(packet)
            if toClient { queueReset(fromClient ? .towardSender : .towardReceiver, packet: packet, inner: inner, tunnel: tunnel, name: name, nameLength: nameLength) }
            if toServer { queueReset(fromClient ? .towardReceiver : .towardSender, packet: packet, inner: inner, tunnel: tunnel, name: name, nameLength: nameLength) }
        }
    }

    /// Queues the fragments the engine held before the one that completed an allowed
    /// datagram, in the order they arrived, each rewritten as a forwarded frame (MACs
    /// swapped, VXLAN header rebuilt) and sent to the node that sent the datagram's last
    /// piece (every piece came from that node: the tunnel source is part of the key).
    @usableFromInline
    func queueReleasedFragments(name: UnsafeRawPointer, nameLength: socklen_t) {
        var cursor = engine.releasedFragments
        while true {
            let room = UnsafeMutableRawBufferPointer(rebasing: segmentArena[segmentArenaUsed...])
            guard let length = engine.nextReleasedFragment(&cursor, into: room) else { break }
            guard length > 0 else {
                counters.count(.sendQueueFull)
                continue
            }
            // The frame as the engine was given it: the synthetic outer header, then the
            // tunnel datagram as received.
            let outer = OuterHeader.length(of: UnsafeRawBufferPointer(room))
            guard outer > 0, outer < length else {
                counters.count(.truncatedTunnel)
                continue
            }
            let datagram = UnsafeMutableRawBufferPointer(rebasing: room[outer ..< length])
            guard case .success(let tunnel) = TunnelDatagram.parse(UnsafeRawBufferPointer(datagram)) else {
                counters.count(.badTunnelHeader)
                continue
            }
            FrameRewrite.swapMACs(UnsafeMutableRawBufferPointer(rebasing: datagram[tunnel.innerOffset...]))
            if tunnel.kind == .vxlan { TunnelDatagram.writeVXLAN(vni: tunnel.vni, into: datagram, at: 0) }
            if outgoing.append(base: datagram.baseAddress!, length: datagram.count, name: name, nameLength: nameLength) {
                segmentArenaUsed &+= length
                setReturnPort(outgoing.count &- 1)
                counters.framesForwarded &+= 1
            } else {
                counters.count(.sendQueueFull)
            }
        }
    }

    /// Both sockaddr_in and sockaddr_in6 keep the port at byte 2.
    @inlinable
    func setReturnPort(_ i: Int) {
        guard let returnPort else { return }
        UnsafeMutableRawPointer(outgoing.names + i).storeBytes(of: returnPort.bigEndian, toByteOffset: 2, as: UInt16.self)
    }

    @usableFromInline
    func queueSegments(
        packet: DecodedPacket, datagram: UnsafeMutableRawBufferPointer, tunnel: TunnelDatagram,
        name: UnsafeRawPointer, nameLength: socklen_t
    ) {
        let prefix = UnsafeRawBufferPointer(rebasing: datagram[0 ..< tunnel.innerOffset])
        let inner = UnsafeRawBufferPointer(rebasing: datagram[tunnel.innerOffset...])
        var queued = 0
        var full = false
        let end = TCPSegmenter.segment(inner, packet: packet, mtu: innerMTU, prefix: prefix, into: segmentArena, at: segmentArenaUsed) { start, length in
            if outgoing.append(base: segmentArena.baseAddress! + start, length: length, name: name, nameLength: nameLength) {
                setReturnPort(outgoing.count &- 1)
                queued &+= 1
            } else {
                full = true
            }
        }
        if let end { segmentArenaUsed = end }
        if end == nil || full {
            counters.count(.sendQueueFull)
            return
        }
        counters.framesForwarded &+= 1
        counters.framesSegmented &+= 1
        counters.segmentsCreated &+= UInt64(queued)
    }

    /// Sends a URL filtering page to the client that sent `packet` (its segments, then FIN).
    /// Cold: once per blocked session; the page is rendered here.
    @usableFromInline
    func queueResponse(
        _ response: URLFilteringResponse, packet: DecodedPacket, inner: UnsafeMutableRawBufferPointer, tunnel: TunnelDatagram,
        name: UnsafeRawPointer, nameLength: socklen_t
    ) {
        let page = URLBlockPage.response(for: response, template: blockPages[response.profile])
        if queueResponse(bytes: page, packet: packet, inner: inner, tunnel: tunnel, name: name, nameLength: nameLength) {
            counters.urlPagesSent &+= 1
        }
    }

    /// Sends a whole HTTP response to the client that sent `packet` (its segments, then FIN):
    /// a URL filtering page or an AI security profile's API-shaped error. False when it
    /// could not be queued (counted).
    @usableFromInline
    @discardableResult
    func queueResponse(
        bytes page: [UInt8], packet: DecodedPacket, inner: UnsafeMutableRawBufferPointer, tunnel: TunnelDatagram,
        name: UnsafeRawPointer, nameLength: socklen_t, inPlaceOf: Bool = false
    ) -> Bool {
        var header = [UInt8](repeating: 0, count: 8)
        let headerWritten = header.withUnsafeMutableBytes { TunnelDatagram.write(tunnel.kind, vni: tunnel.vni, into: $0, at: 0) }
        guard headerWritten else { return false }
        var full = false
        let end = page.withUnsafeBytes { payload in
            header.withUnsafeBytes { prefix in
                TCPResponse.write(payload, answering: packet, frame: UnsafeRawBufferPointer(inner), mtu: innerMTU, prefix: prefix,
                                  into: segmentArena, at: segmentArenaUsed, inPlaceOf: inPlaceOf,
                                  sequence: inPlaceOf ? nil : engine.responseSequence) { start, length in
                    if outgoing.append(base: segmentArena.baseAddress! + start, length: length, name: name, nameLength: nameLength) {
                        setReturnPort(outgoing.count &- 1)
                    } else {
                        full = true
                    }
                }
            }
        }
        guard let end, !full else {
            counters.count(.sendQueueFull)
            return false
        }
        segmentArenaUsed = end
        return true
    }

    @usableFromInline
    func queueReset(
        _ target: TCPReset.Target, packet: DecodedPacket, inner: UnsafeMutableRawBufferPointer, tunnel: TunnelDatagram,
        name: UnsafeRawPointer, nameLength: socklen_t
    ) {
        guard resetsUsed < Self.resetSlots(batchSize) else {
            counters.count(.sendQueueFull)
            return
        }
        let base = resetsUsed &* Self.resetSlotSize
        let slot = UnsafeMutableRawBufferPointer(rebasing: resetStorage[base ..< base &+ Self.resetSlotSize])
        TunnelDatagram.write(tunnel.kind, vni: tunnel.vni, into: slot, at: 0)
        let n = TCPReset.write(target, of: packet, frame: UnsafeRawBufferPointer(inner), into: slot, at: 8)
        guard n > 0 else { return }
        resetsUsed &+= 1
        if outgoing.append(base: slot.baseAddress!, length: 8 &+ n, name: name, nameLength: nameLength) {
            setReturnPort(outgoing.count &- 1)
            counters.resetsSent &+= 1
        } else {
            counters.count(.sendQueueFull)
        }
    }
}

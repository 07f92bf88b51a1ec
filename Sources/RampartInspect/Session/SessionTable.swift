import RampartWire

/// Sizes of a `SessionTable`.
///
/// ```swift
/// var configuration = SessionTableConfiguration()
/// configuration.capacity = 1 << 20
/// ```
public struct SessionTableConfiguration: Sendable, Equatable {
    /// The most sessions held at once; inserting beyond it evicts one.
    public var capacity: Int = 65_536
    /// How many slots from a new key's home position are searched for a victim when the
    /// table is full.
    public var evictionWindow: Int = 16
    /// Sessions one client (inner source address, in its tunnel) may hold at once; a new
    /// session beyond it is refused and its packet dropped (`flow.source_limit`). 0: an
    /// eighth of `capacity` (at least 64). Enforced by the engine.
    public var maxPerSource: Int = 0
    /// Sessions all clients behind one tunnel source (a node) may hold at once. 0: half of
    /// `capacity` (at least 64). Untunnelled traffic has no such limit.
    public var maxPerTunnelSource: Int = 0

    @inlinable public init() {}

    @inlinable
    public init(capacity: Int, evictionWindow: Int = 16) {
        self.capacity = capacity
        self.evictionWindow = evictionWindow
    }

    /// `maxPerSource` with its default applied.
    public var effectiveMaxPerSource: Int { maxPerSource > 0 ? maxPerSource : max(64, capacity / 8) }
    /// `maxPerTunnelSource` with its default applied.
    public var effectiveMaxPerTunnelSource: Int { maxPerTunnelSource > 0 ? maxPerTunnelSource : max(64, capacity / 2) }
}

/// The position of a session in a `SessionTable`. Valid until the next `insert`,
/// `remove` or `expire` on that table (deletion shifts entries), so hold it only while
/// handling one packet.
///
/// ```swift
/// if let slot = table.lookup(key) { table[slot].applicationID = 7 }
/// ```
@frozen
public struct SessionSlot: Hashable, Sendable {
    public var index: Int
    @inlinable public init(index: Int) { self.index = index }
}

/// What `insert` did: the new session's slot, and the session it pushed out, if any.
///
/// ```swift
/// let insertion = table.insert(key, now: now)
/// if let old = insertion.evicted { log(old) }
/// ```
public struct SessionInsertion: Sendable {
    public var slot: SessionSlot
    /// A session removed to make room: an expired one (`closeReason == .timeout`), or the
    /// least recently seen near the new key (`closeReason == .evicted`).
    public var evicted: Session?

    @inlinable
    public init(slot: SessionSlot, evicted: Session?) {
        self.slot = slot
        self.evicted = evicted
    }
}

/// Sessions by `FlowKey` in preallocated open-addressing storage: linear probing over a
/// power-of-two array kept at most 80% full, backward-shift deletion (no tombstones),
/// sessions stored inline. No operation allocates after `init`.
///
/// ```swift
/// var table = SessionTable(configuration: SessionTableConfiguration(capacity: 100_000))
/// let (key, direction) = FlowKey.of(packet)
/// let slot = table.lookup(key) ?? table.insert(key, now: now).slot
/// _ = table[slot].observe(packet, direction: direction, now: now, timeouts: timeouts)
/// table.expire(now: now, maxSlots: 64, into: &expired)
/// ```
public struct SessionTable: Sendable {
    /// The key's hash with the top bit set; 0 marks an empty slot.
    @usableFromInline var hashes: [UInt64]
    @usableFromInline var sessions: [Session]
    @usableFromInline let mask: Int
    /// The most sessions held at once.
    public let capacity: Int
    @usableFromInline let evictionWindow: Int
    @usableFromInline var storedCount: Int = 0
    @usableFromInline var storedEvictions: UInt64 = 0
    /// Sessions held now.
    ///
    /// ```swift
    /// if table.count == table.capacity { /* the next insert evicts */ }
    /// ```
    public var count: Int { storedCount }
    /// Live (not expired) sessions pushed out to make room.
    ///
    /// ```swift
    /// metrics.sessionsEvicted = table.evictions
    /// ```
    public var evictions: UInt64 { storedEvictions }
    @usableFromInline var sweepCursor: Int = 0

    @usableFromInline static let occupied: UInt64 = 1 << 63

    public init(configuration: SessionTableConfiguration) {
        let capacity = max(1, configuration.capacity)
        // Slots ≥ capacity / 0.8, rounded up to a power of two.
        let wanted = capacity + capacity / 4 + 1
        var size = 8
        while size < wanted { size <<= 1 }
        self.capacity = capacity
        self.mask = size - 1
        self.evictionWindow = max(1, configuration.evictionWindow)
        hashes = [UInt64](repeating: 0, count: size)
        // A slot's session is read only while its hash word says it is occupied, and written
        // whole before that; a plain-data Session needs no initial value, so its 50 MB (at
        // the default capacity) are not touched before traffic fills them. Start-up of a
        // small `rampart inspect` went from 0.08 to ~0.03 s.
        if _isPOD(Session.self) {
            sessions = [Session](unsafeUninitializedCapacity: size) { _, initialized in initialized = size }
        } else {
            sessions = [Session](repeating: Session(key: FlowKey(), now: .zero), count: size)
        }
    }

    /// Number of slots in the underlying storage (a power of two, ≥ capacity / 0.8).
    ///
    /// ```swift
    /// let callsPerSweep = table.slotCount / 32   // with expire(maxSlots: 32)
    /// ```
    public var slotCount: Int { mask + 1 }

    /// The slots that hold a session, for work over every session between packets (a
    /// policy swap). Cold path: allocates the list.
    public func occupiedSlots() -> [SessionSlot] {
        hashes.indices.filter { hashes[$0] != 0 }.map { SessionSlot(index: $0) }
    }

    /// Bytes the table holds, allocated once at creation: one session and one hash word
    /// per slot.
    public var memoryBytes: Int { slotCount * (MemoryLayout<Session>.stride + MemoryLayout<UInt64>.stride) }

    @inlinable
    static func tag(_ key: FlowKey) -> UInt64 { key.flowHash | occupied }

    /// The slot holding `key`'s session, or nil.
    ///
    /// ```swift
    /// if let slot = table.lookup(key) { table[slot].lastSeen }
    /// ```
    @inlinable
    public func lookup(_ key: FlowKey) -> SessionSlot? {
        let tag = Self.tag(key)
        var i = Int(truncatingIfNeeded: tag) & mask
        while true {
            let t = hashes[i]
            if t == 0 { return nil }
            if t == tag && sessions[i].key == key { return SessionSlot(index: i) }
            i = (i &+ 1) & mask
        }
    }

    /// Adds a fresh session for `key` (which must not be present; `lookup` first). When
    /// the table is full, first removes an expired session near the key's home slot, or
    /// else the least recently seen in a window of `evictionWindow` slots, and returns it.
    ///
    /// ```swift
    /// let insertion = table.insert(key, now: now)
    /// table[insertion.slot].observe(packet, direction: direction, now: now, timeouts: timeouts)
    /// ```
    @inlinable
    public mutating func insert(_ key: FlowKey, now: Timestamp) -> SessionInsertion {
        let tag = Self.tag(key)
        var evicted: Session? = nil
        if count >= capacity {
            let victim = chooseVictim(home: Int(truncatingIfNeeded: tag) & mask, now: now)
            var old = sessions[victim]
            if old.isExpired(at: now) {
                if old.closeReason == .none { old.closeReason = .timeout }
            } else {
                old.closeReason = .evicted
                storedEvictions &+= 1
            }
            evicted = old
            remove(SessionSlot(index: victim))
        }
        var i = Int(truncatingIfNeeded: tag) & mask
        while hashes[i] != 0 { i = (i &+ 1) & mask }
        hashes[i] = tag
        sessions[i] = Session(key: key, now: now)
        storedCount &+= 1
        return SessionInsertion(slot: SessionSlot(index: i), evicted: evicted)
    }

    /// The slot of an expired session near `home`, else of the least recently seen one
    /// in the window; searches past the window only when the window is all empty.
    @inlinable
    func chooseVictim(home: Int, now: Timestamp) -> Int {
        var best = -1
        var bestSeen = Timestamp(nanosecondsSinceEpoch: .max)
        var i = home
        var scanned = 0
        while scanned < evictionWindow || best < 0 {
            if hashes[i] != 0 {
                let session = sessions[i]
                if session.isExpired(at: now) { return i }
                if session.lastSeen < bestSeen {
                    best = i
                    bestSeen = session.lastSeen
                }
            }
            scanned &+= 1
            i = (i &+ 1) & mask
        }
        return best
    }

    /// Removes the session at `slot`. Other slots may move (backward shift).
    ///
    /// ```swift
    /// let closed = table[slot]
    /// table.remove(slot)
    /// ```
    @inlinable
    public mutating func remove(_ slot: SessionSlot) {
        var hole = slot.index
        guard hole >= 0, hole <= mask, hashes[hole] != 0 else { return }
        var j = hole
        // Backward shift: pull later members of the cluster into the hole when their home
        // position is not cyclically inside (hole, j].
        while true {
            j = (j &+ 1) & mask
            let t = hashes[j]
            if t == 0 { break }
            let home = Int(truncatingIfNeeded: t) & mask
            let homeInRange = hole <= j ? (hole < home && home <= j) : (hole < home || home <= j)
            if homeInRange { continue }
            hashes[hole] = t
            sessions[hole] = sessions[j]
            hole = j
        }
        hashes[hole] = 0
        storedCount &-= 1
    }

    /// The session at `slot`, readable and mutable in place.
    @inlinable
    public subscript(_ slot: SessionSlot) -> Session {
        get { sessions[slot.index] }
        _modify { yield &sessions[slot.index] }
    }

    /// Examines the next `maxSlots` slots after the sweep cursor, moves the sessions that
    /// expired at `now` into `expired` (appended, `closeReason` set to `.timeout` unless a
    /// FIN or RST already closed them) and removes them. Call it once per packet or batch
    /// with a small `maxSlots`; a full sweep takes `slotCount / maxSlots` calls. Returns
    /// how many sessions expired. Reuse `expired` (`removeAll(keepingCapacity: true)`) to
    /// avoid allocation.
    ///
    /// ```swift
    /// expired.removeAll(keepingCapacity: true)
    /// table.expire(now: packetTime, maxSlots: 32, into: &expired)
    /// for session in expired { log(session) }
    /// ```
    @inlinable
    @discardableResult
    public mutating func expire(now: Timestamp, maxSlots: Int, into expired: inout [Session]) -> Int {
        var found = 0
        var examined = 0
        while examined < maxSlots && count > 0 {
            let i = sweepCursor
            examined &+= 1
            if hashes[i] != 0 && sessions[i].isExpired(at: now) {
                var session = sessions[i]
                if session.closeReason == .none { session.closeReason = .timeout }
                expired.append(session)
                found &+= 1
                // Stay on this slot: the backward shift may have moved a session into it.
                remove(SessionSlot(index: i))
            } else {
                sweepCursor = (i &+ 1) & mask
            }
        }
        return found
    }

    /// Removes every session, appending each to `closed` with `closeReason` `.shutdown`
    /// (unless already closed). For engine shutdown; allocates as `closed` grows.
    ///
    /// ```swift
    /// var remaining: [Session] = []
    /// table.removeAll(into: &remaining)
    /// ```
    public mutating func removeAll(into closed: inout [Session]) {
        for i in 0...mask where hashes[i] != 0 {
            var session = sessions[i]
            if session.closeReason == .none { session.closeReason = .shutdown }
            closed.append(session)
            hashes[i] = 0
        }
        storedCount = 0
        sweepCursor = 0
    }
}

extension IndicatorStore {
    /// The listed entry for a domain name: the name itself or its closest listed parent
    /// (most specific wins), or nil. ASCII case is ignored and one trailing dot dropped; the
    /// name is taken as it travels (A-labels for IDNs). No allocation.
    ///
    /// How: one pass from the right end hashes the name with case folded; at each label
    /// boundary the hash so far is the hash of that parent (`IndicatorHash`), which is probed
    /// when some listed name has that many labels. Probes go from the least specific parent to
    /// the name itself, the last hit winning, so a miss costs one probe per label depth the
    /// lists use, and a probe reads the arena only when a 32-bit fingerprint matches.
    ///
    /// - Parameter name: the name's bytes, dotted (`www.example.com`); anything else simply
    ///   does not match.
    public func domain(_ name: UnsafeRawBufferPointer) -> IndicatorMatch? {
        guard let base = name.baseAddress, let hit = deepestName(base, count: name.count) else { return nil }
        return IndicatorMatch(
            kind: .domain, attributes: names.attributes(at: hit.slot), entry: UInt32(truncatingIfNeeded: hit.slot),
            matchedLength: hit.length, isExact: hit.isExact)
    }

    /// `domain(_:)` for a name held as a `String` (no allocation for native strings).
    public func domain(_ name: String) -> IndicatorMatch? {
        if let answer = name.utf8.withContiguousStorageIfAvailable({ domain(UnsafeRawBufferPointer($0)) }) {
            return answer
        }
        var copy = name
        return copy.withUTF8 { domain(UnsafeRawBufferPointer($0)) }
    }

    /// The deepest listed suffix of `base[0..<count]` (at label boundaries): its slot, its
    /// length, and whether it is the whole name.
    ///
    /// One pass from the right records the hash of each parent whose depth some listed name
    /// has (stopping once the depth passes the deepest listed), in 512 bytes on the stack;
    /// then the parents are probed from the most specific down and the first hit answers,
    /// so a listed name costs one probe whatever its depth, a miss one per listed depth.
    @inline(__always)
    func deepestName(_ base: UnsafeRawPointer, count: Int) -> (slot: Int, length: Int, isExact: Bool)? {
        guard names.count > 0 else { return nil }
        var end = count
        if end > 0 && base.load(fromByteOffset: end - 1, as: UInt8.self) == 0x2E { end -= 1 }
        guard end > 0 else { return nil }
        // Depths 1...31 are recorded; a store with deeper names takes the unrecorded walk.
        guard nameDepths >> 32 == 0 else { return deepestNameUnrecorded(base, end: end) }
        return withUnsafeTemporaryAllocation(of: UInt64.self, capacity: 2 * Self.recordedLevels) { recorded in
            let levels = recordParents(base, end: end, into: recorded.baseAddress!)
            return probeParents(base, end: end, recorded: recorded.baseAddress!, levels: levels)
        }
    }

    /// The most parents `recordParents` records for one name (depths 1...31).
    @usableFromInline static let recordedLevels = 32

    /// The first half of a lookup: `base[0..<end]` (no trailing dot, not empty) hashed once
    /// from the right; for each parent whose depth some listed name has, least specific
    /// first, its hash at `recorded[2k]` and where it starts at `recorded[2k + 1]`. Returns
    /// how many were recorded (at most `recordedLevels`). Only for stores whose listed names
    /// have at most 31 labels (`nameDepths >> 32 == 0`).
    @inline(__always)
    func recordParents(_ base: UnsafeRawPointer, end: Int, into recorded: UnsafeMutablePointer<UInt64>) -> Int {
        let depths = nameDepths
        let deepest = 64 - depths.leadingZeroBitCount - 1
        var levels = 0
        var state = seed
        var labels = 0
        var i = end
        while i > 0 {
            i &-= 1
            let byte = IndicatorHash.folded(base.load(fromByteOffset: i, as: UInt8.self))
            if byte == 0x2E {
                labels &+= 1
                if labels > deepest { break }
                let length = end &- i &- 1
                if depths & (1 &<< UInt64(labels)) != 0 && length > 0 && length <= DomainName.maximumLength {
                    recorded[2 &* levels] = IndicatorHash.finish(state)
                    recorded[2 &* levels &+ 1] = UInt64(i &+ 1)
                    levels &+= 1
                }
            }
            state = IndicatorHash.step(state, byte)
        }
        if i == 0 {
            labels &+= 1
            if labels <= deepest && depths & (1 &<< UInt64(labels)) != 0 && end <= DomainName.maximumLength {
                recorded[2 &* levels] = IndicatorHash.finish(state)
                recorded[2 &* levels &+ 1] = 0
                levels &+= 1
            }
        }
        return levels
    }

    /// The second half: the recorded parents probed from the most specific down; the first
    /// hit answers.
    @inline(__always)
    func probeParents(_ base: UnsafeRawPointer, end: Int, recorded: UnsafePointer<UInt64>, levels: Int)
        -> (slot: Int, length: Int, isExact: Bool)?
    {
        var level = levels
        while level > 0 {
            level &-= 1
            let start = Int(truncatingIfNeeded: recorded[2 &* level &+ 1])
            let length = end &- start
            if let slot = names.find(hash: recorded[2 &* level], base + start, count: length) {
                return (slot, length, start == 0)
            }
        }
        return nil
    }

    /// `deepestName` for stores holding names of 32 labels or more: every parent probed from
    /// the least specific up, the last hit winning.
    func deepestNameUnrecorded(_ base: UnsafeRawPointer, end: Int) -> (slot: Int, length: Int, isExact: Bool)? {
        let depths = nameDepths
        var state = seed
        var labels = 0
        var found = 0
        var foundLength = 0
        var i = end
        while i > 0 {
            i &-= 1
            let byte = IndicatorHash.folded(base.load(fromByteOffset: i, as: UInt8.self))
            if byte == 0x2E {
                labels &+= 1
                let length = end &- i &- 1
                if depths & (1 &<< UInt64(min(labels, 63))) != 0 && length > 0 && length <= DomainName.maximumLength,
                   let slot = names.find(hash: IndicatorHash.finish(state), base + i + 1, count: length)
                {
                    found = slot
                    foundLength = length
                }
            }
            state = IndicatorHash.step(state, byte)
        }
        labels &+= 1
        if depths & (1 &<< UInt64(min(labels, 63))) != 0 && end <= DomainName.maximumLength,
           let slot = names.find(hash: IndicatorHash.finish(state), base, count: end)
        {
            return (slot, end, true)
        }
        return foundLength > 0 ? (found, foundLength, false) : nil
    }
}

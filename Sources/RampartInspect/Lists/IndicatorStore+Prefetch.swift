import CPrefetch

extension IndicatorStore {
    /// How many names `domains(_:into:)` hashes and asks the memory for before comparing
    /// any: enough cache misses in flight to overlap most of their latency (a lookup's own
    /// work is about 50 ns, a miss on this class of machine 100-180 ns), within the CPU's
    /// outstanding-miss buffers. The parents' hashes wait on the stack (1 KiB).
    public static let lookupGroup = 16

    /// A group also ends once this many lines are asked for, near what the CPU's miss
    /// buffers hold (measured at 10 M names: 32 a little faster than 24 for every kind).
    public static let linesInFlight = 32

    /// Below this many bytes of name table the lines are in the caches already and the
    /// grouping only costs (about 15 ns a name measured on a 1,000-name store): such stores
    /// are looked up one name at a time. The size of one core's L2 here.
    public static let prefetchedTableBytes = 2 << 20

    /// Starts loading the table lines a later `domain(_:)` of `name` will read — the home
    /// slot of each parent whose depth some listed name has — and returns at once. A hint
    /// with no effect on answers; no allocation.
    ///
    /// A single lookup over a table far larger than the caches waits for one memory miss
    /// (most of its time at 1 M names and more); lookups of several names overlap their
    /// misses when every name's lines are asked for before the first is compared.
    /// `domains(_:into:)` does that for a batch without hashing twice.
    public func prefetchDomain(_ name: UnsafeRawBufferPointer) {
        guard names.count > 0, nameDepths >> 32 == 0, name.count > 0, let base = name.baseAddress else { return }
        var end = name.count
        if base.load(fromByteOffset: end - 1, as: UInt8.self) == 0x2E { end -= 1 }
        guard end > 0 else { return }
        withUnsafeTemporaryAllocation(of: UInt64.self, capacity: 2 * Self.recordedLevels) { recorded in
            let levels = recordParents(base, end: end, into: recorded.baseAddress!)
            for level in 0..<levels { rampart_prefetch(names.homeAddress(recorded[2 &* level])) }
        }
    }

    /// `domain(_:)` for each of `queries`, in order, into `answers` (at least as many): the
    /// same answers, in groups of `lookupGroup`: every name of a group is hashed and its
    /// parents' home lines asked for, then each is compared, so the memory misses of a
    /// group overlap instead of adding up. For a worker holding several names at once (the
    /// questions or server names of a batch of packets). No allocation.
    public func domains(_ queries: UnsafeBufferPointer<UnsafeRawBufferPointer>, into answers: UnsafeMutableBufferPointer<IndicatorMatch?>) {
        precondition(answers.count >= queries.count, "domains(_:into:): fewer answers than queries")
        let count = queries.count
        // Small tables (in cache) one name at a time.
        guard names.memoryBytes >= Self.prefetchedTableBytes else {
            for q in 0..<count { answers[q] = domain(queries[q]) }
            return
        }
        domainsGrouped(queries, into: answers)
    }

    /// `domains(_:into:)`'s grouped lookups, whatever the table's size (the tests and the
    /// fuzz target compare them with single lookups on small stores).
    func domainsGrouped(_ queries: UnsafeBufferPointer<UnsafeRawBufferPointer>, into answers: UnsafeMutableBufferPointer<IndicatorMatch?>) {
        let count = queries.count
        // Stores with names of 32 labels or more take the unrecorded walk, one at a time.
        guard names.count > 0, nameDepths >> 32 == 0 else {
            for q in 0..<count { answers[q] = domain(queries[q]) }
            return
        }
        // Kept within 1 KiB, so the standard library keeps it on the stack: a group ends
        // early when another name's parents might not fit (64 pairs; names have 1 to 4).
        let pairs = 64
        withUnsafeTemporaryAllocation(of: UInt64.self, capacity: 2 * pairs) { recordedMemory in
            withUnsafeTemporaryAllocation(of: Int.self, capacity: 3 * Self.lookupGroup) { shape in
                let recorded = recordedMemory.baseAddress!
                var first = 0
                while first < count {
                    // Hash every name of the group; ask for each recorded parent's line.
                    var n = 0
                    var used = 0
                    while n < Self.lookupGroup && first &+ n < count && used < Self.linesInFlight
                        && used &+ Self.recordedLevels <= pairs
                    {
                        let query = queries[first &+ n]
                        var end = query.count
                        var levels = 0
                        if end > 0, let base = query.baseAddress {
                            if base.load(fromByteOffset: end &- 1, as: UInt8.self) == 0x2E { end &-= 1 }
                            if end > 0 {
                                let mine = recorded + 2 &* used
                                levels = recordParents(base, end: end, into: mine)
                                for level in 0..<levels { rampart_prefetch(names.homeAddress(mine[2 &* level])) }
                            }
                        }
                        shape[3 &* n] = levels
                        shape[3 &* n &+ 1] = end
                        shape[3 &* n &+ 2] = used
                        used &+= levels
                        n &+= 1
                    }
                    // Then compare, the lines arriving meanwhile.
                    for k in 0..<n {
                        let levels = shape[3 &* k]
                        let query = queries[first &+ k]
                        if levels > 0, let base = query.baseAddress,
                           let hit = probeParents(base, end: shape[3 &* k &+ 1], recorded: recorded + 2 &* shape[3 &* k &+ 2], levels: levels)
                        {
                            answers[first &+ k] = IndicatorMatch(
                                kind: .domain, attributes: names.attributes(at: hit.slot), entry: UInt32(truncatingIfNeeded: hit.slot),
                                matchedLength: hit.length, isExact: hit.isExact)
                        } else {
                            answers[first &+ k] = nil
                        }
                    }
                    first &+= n
                }
            }
        }
    }
}

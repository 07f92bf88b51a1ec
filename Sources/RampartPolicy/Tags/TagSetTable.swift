/// Interned tag sets with reference counts: what an address holds now, and what each
/// session was decided with.
///
/// A session keeps the handle of each end's tag set from the moment its verdict is made, so
/// its flow record names the identity that was decided on even when the address is tagged
/// again (a pod replaced, its address reused) before the session ends. Each address holds
/// one reference to its current set and each session end one more; a set whose last
/// reference goes is freed and its handle reused, so the table never holds more sets than
/// tagged addresses plus twice the sessions. Each tag id counts the live sets that hold it,
/// so the matcher can forget a tag once no set does (pod churn would otherwise intern every
/// pod's name for ever).
///
/// ```swift
/// var sets = TagSetTable()
/// let h = sets.intern([3, 7])      // one reference, for the address
/// sets.retain(h)                   // a session decided with it
/// sets.release(h)                  // the address re-tagged: the session still holds it
/// sets.ids(of: h)                  // [3, 7]
/// ```
struct TagSetTable {
    /// Handle 0 is the empty set: never counted, never freed.
    static let empty: UInt32 = 0

    private var sets: [[UInt32]] = [[]]
    private var references: [UInt32] = [0]
    private var index: [[UInt32]: UInt32] = [:]
    private var free: [UInt32] = []
    /// Per tag id: how many live sets hold it.
    private var tagUses: [UInt32] = []

    /// Sets alive now (the empty set not counted).
    var count: Int { sets.count - 1 - free.count }

    /// The handle of `ids` with one more reference (a new set when it is not held yet).
    mutating func intern(_ ids: [UInt32]) -> UInt32 {
        if ids.isEmpty { return Self.empty }
        if let h = index[ids] {
            references[Int(h)] &+= 1
            return h
        }
        for id in ids {
            if Int(id) >= tagUses.count { tagUses.append(contentsOf: repeatElement(0, count: Int(id) + 1 - tagUses.count)) }
            tagUses[Int(id)] &+= 1
        }
        let h: UInt32
        if let reused = free.popLast() {
            h = reused
            sets[Int(h)] = ids
            references[Int(h)] = 1
        } else {
            h = UInt32(sets.count)
            sets.append(ids)
            references.append(1)
        }
        index[ids] = h
        return h
    }

    mutating func reserveCapacity(_ n: Int) {
        sets.reserveCapacity(n + 1)
        references.reserveCapacity(n + 1)
        index.reserveCapacity(n)
    }

    @inline(__always)
    mutating func retain(_ h: UInt32) {
        guard h != Self.empty, Int(h) < references.count else { return }
        references[Int(h)] &+= 1
    }

    /// One reference less; when it was the last, the set is freed and the tag ids no live
    /// set holds any more are returned (empty, and allocation-free, otherwise).
    mutating func release(_ h: UInt32) -> [UInt32] {
        guard h != Self.empty, Int(h) < references.count, references[Int(h)] > 0 else { return [] }
        references[Int(h)] &-= 1
        guard references[Int(h)] == 0 else { return [] }
        let ids = sets[Int(h)]
        index[ids] = nil
        sets[Int(h)] = []
        free.append(h)
        var unused: [UInt32] = []
        for id in ids where Int(id) < tagUses.count {
            tagUses[Int(id)] &-= 1
            if tagUses[Int(id)] == 0 { unused.append(id) }
        }
        return unused
    }

    /// The tag ids of a set (empty for an unknown or freed handle).
    func ids(of h: UInt32) -> [UInt32] {
        Int(h) < sets.count ? sets[Int(h)] : []
    }

    func referenceCount(_ h: UInt32) -> UInt32 {
        Int(h) < references.count ? references[Int(h)] : 0
    }
}

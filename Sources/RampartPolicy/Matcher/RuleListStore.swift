/// Interns the sorted lists of rule indexes that name an address on one side (source or
/// destination), together with the address's zone. Equal (ranges part, tags part, zone)
/// get one class id; ids are never reused, so a cached decision stays right for as long as
/// the matcher lives.
///
/// Lists instead of dense bitsets keep memory proportional to what addresses actually
/// match: 100,000 distinct tag sets against 10,000 rules cost kilobytes per thousand
/// addresses, not a 1.25 KB bitset each.
///
/// A class is split in two because the halves have very different sharing: the rules that
/// name the address *by range* depend only on its address interval (a few thousand distinct
/// lists, shared by every address in the interval, hot in cache), while the rules that name
/// it *by tag expression* depend on its tags (often one list per pod). Storing each class
/// as "its interval's shared ranges part + its own tags part" keeps the per-address records
/// a few words long, so the whole class pool stays in the last-level cache (merged lists
/// took 7 MB for 100,000 pods in `rampart bench policy`, and a cold lookup went to DRAM).
///
/// Layout (ids are offsets into `pool`, so an address's class leads straight to its record
/// with no metadata table between):
///
///     part:  [count, alone, entries...]
///     class: [count, zone | alone << 16, ranges part id, tags-part entries...]
///
/// When the store has `entryFlags`, entries are `rule << 3 | flags[rule]`: the low bits say
/// how the rule treats the *other* address and this one (`matchesAlone`, `negated`,
/// `otherNegated`), so the
/// matcher decides most entries without per-rule tables; rule order is entry order because
/// the rule is the high bits. Without `entryFlags` (the compiler's raw interval lists),
/// entries are plain rule indexes.
struct RuleListStore: Sendable {
    /// Set in an entry when the rule's other side is `any` or negated, so the rule can match
    /// on this list alone (without the other address's list naming it).
    static let matchesAlone: Int32 = 1
    /// Set in an entry when this side of the rule is negated: naming the address excludes it.
    static let negated: Int32 = 2
    /// Set in an entry when the rule's other side is negated (with `matchesAlone`): the rule
    /// matches on this list alone only if the other address's list does not name it.
    static let otherNegated: Int32 = 4
    /// How far the rule index is shifted in an entry.
    static let shift: Int32 = 3
    /// Set in a class record's second word when an entry of either part has `matchesAlone`.
    static let hasAloneEntries: Int32 = 1 << 16

    private(set) var pool: [Int32] = []
    /// Per rule, the low bits of its entries (`matchesAlone`, `negated`, `otherNegated`); nil
    /// for raw lists.
    let entryFlags: [UInt8]?
    private var partIndex: [Int: [UInt32]] = [:]
    private var classIndex: [Int: [UInt32]] = [:]
    /// How many classes (not parts) were interned.
    private(set) var count = 0

    init(entryFlags: [UInt8]? = nil) { self.entryFlags = entryFlags }

    func zone(_ id: UInt32) -> UInt16 { UInt16(truncatingIfNeeded: pool[Int(id) + 1]) }

    /// The entries for `list` and whether any can match alone.
    private func encode(_ list: [Int32]) -> ([Int32], Bool) {
        guard let flags = entryFlags else { return (list, false) }
        var alone = false
        let encoded = list.map { r -> Int32 in
            let f = Int32(flags[Int(r)])
            if f & RuleListStore.matchesAlone != 0 { alone = true }
            return r << RuleListStore.shift | f
        }
        return (encoded, alone)
    }

    /// Finds or appends the record `header + entries`; `header` holds no entry count.
    private mutating func record(_ header: [Int32], _ entries: [Int32], isClass: Bool) -> UInt32 {
        var h = Hasher()
        h.combine(header)
        h.combine(entries)
        let key = h.finalize()
        let width = header.count + 1
        if let ids = isClass ? classIndex[key] : partIndex[key] {
            for id in ids where Int(pool[Int(id)]) == entries.count {
                let s = Int(id)
                if pool[(s + 1)..<(s + width)].elementsEqual(header),
                   pool[(s + width)..<(s + width + entries.count)].elementsEqual(entries) { return id }
            }
        }
        let id = UInt32(pool.count)
        pool.append(Int32(entries.count))
        pool += header
        pool += entries
        if isClass { classIndex[key, default: []].append(id) } else { partIndex[key, default: []].append(id) }
        return id
    }

    /// The part holding `list` (ascending rule indexes).
    mutating func part(_ list: [Int32]) -> UInt32 {
        let (entries, alone) = encode(list)
        return record([alone ? 1 : 0], entries, isClass: false)
    }

    /// The class of an address whose ranges part is `rangesPart` (from `part`), whose tag
    /// expressions name the rules `tagRules` (ascending), in `zone`.
    mutating func intern(rangesPart: UInt32, tagRules: [Int32], zone: UInt16) -> UInt32 {
        let (entries, alone) = encode(tagRules)
        let partAlone = pool[Int(rangesPart) + 1] != 0
        let header = [Int32(zone) | (alone || partAlone ? RuleListStore.hasAloneEntries : 0), Int32(bitPattern: rangesPart)]
        let before = pool.count
        let id = record(header, entries, isClass: true)
        if pool.count != before { count += 1 }
        return id
    }

    /// How many rules class `id` names (both parts).
    func ruleCount(ofClass id: UInt32) -> Int {
        Int(pool[Int(id)]) + Int(pool[Int(UInt32(bitPattern: pool[Int(id) + 2]))])
    }

    /// The stored entries of part `id` (encoded when the store has `entryFlags`).
    func list(_ id: UInt32) -> ArraySlice<Int32> {
        let s = Int(id) + 2
        return pool[s..<(s + Int(pool[Int(id)]))]
    }

    var memoryEstimate: Int { pool.count * 4 + (partIndex.count + classIndex.count) * 48 }
}

/// A raw, append-only copy of a `RuleListStore`'s pool, owned by one `PolicyMatcher`: the
/// hot path reads it through a plain pointer (no retain, no bounds check). Records are
/// only ever appended, so syncing copies the new tail.
struct RulePoolMirror {
    /// Zeroed entries kept past the end, so 8-wide reads of a list's last chunk stay in bounds.
    static let slack = 8
    private(set) var base: UnsafeMutablePointer<Int32>
    private var count: Int
    private var capacity: Int

    init(_ pool: [Int32]) {
        capacity = max(pool.count * 5 / 4, 64)
        base = .allocate(capacity: capacity + RulePoolMirror.slack)
        base.initialize(repeating: 0, count: capacity + RulePoolMirror.slack)
        count = 0
        sync(pool)
    }

    /// Appends the entries `pool` gained since the last sync.
    mutating func sync(_ pool: [Int32]) {
        guard pool.count > count else { return }
        if pool.count > capacity {
            var c = capacity
            while c < pool.count { c *= 2 }
            let fresh = UnsafeMutablePointer<Int32>.allocate(capacity: c + RulePoolMirror.slack)
            fresh.initialize(repeating: 0, count: c + RulePoolMirror.slack)
            fresh.update(from: base, count: count)
            base.deallocate()
            base = fresh
            capacity = c
        }
        pool.withUnsafeBufferPointer { b in
            if let src = b.baseAddress { (base + count).update(from: src + count, count: pool.count - count) }
        }
        count = pool.count
    }

    func deallocate() { base.deallocate() }

    var memoryEstimate: Int { (capacity + RulePoolMirror.slack) * 4 }
}

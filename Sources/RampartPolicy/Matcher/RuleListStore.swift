/// Interns sorted lists of rule indexes (the rules whose source, or destination, names an
/// address specifically: by range, group or tag expression) together with the address's
/// zone. Equal lists get one class id; ids are never reused, so a cached decision stays
/// right for as long as the matcher lives.
///
/// Lists instead of dense bitsets keep memory proportional to what addresses actually
/// match: 100,000 distinct tag sets against 10,000 rules cost kilobytes per thousand
/// addresses, not a 1.25 KB bitset each.
struct RuleListStore: Sendable {
    /// Where a class's list lies in `pool`, and its zone: one record, so a lookup touches
    /// one cache line.
    struct Meta: Sendable {
        var start: UInt32
        var length: UInt32
        var zone: UInt16
    }
    private(set) var pool: [Int32] = []
    private(set) var meta: [Meta] = []
    private var index: [Int: [UInt32]] = [:]

    var count: Int { meta.count }
    var zones: LazyMapSequence<[Meta], UInt16> { meta.lazy.map(\.zone) }
    func zone(_ id: UInt32) -> UInt16 { meta[Int(id)].zone }

    mutating func intern(_ list: [Int32], zone: UInt16) -> UInt32 {
        var h = Hasher()
        h.combine(zone)
        h.combine(list)
        let key = h.finalize()
        if let ids = index[key] {
            for id in ids where meta[Int(id)].zone == zone && meta[Int(id)].length == list.count {
                let s = Int(meta[Int(id)].start)
                if pool[s..<(s + list.count)].elementsEqual(list) { return id }
            }
        }
        let id = UInt32(meta.count)
        meta.append(Meta(start: UInt32(pool.count), length: UInt32(list.count), zone: zone))
        pool += list
        index[key, default: []].append(id)
        return id
    }

    func list(_ id: UInt32) -> ArraySlice<Int32> {
        let m = meta[Int(id)]
        return pool[Int(m.start)..<(Int(m.start) + Int(m.length))]
    }

    var memoryEstimate: Int { pool.count * 4 + meta.count * (12 + 40) }
}

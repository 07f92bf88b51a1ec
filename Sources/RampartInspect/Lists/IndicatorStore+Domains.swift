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
    @inline(__always)
    func deepestName(_ base: UnsafeRawPointer, count: Int) -> (slot: Int, length: Int, isExact: Bool)? {
        guard names.count > 0 else { return nil }
        let depths = nameDepths
        var end = count
        if end > 0 && base.load(fromByteOffset: end - 1, as: UInt8.self) == 0x2E { end -= 1 }
        guard end > 0 else { return nil }
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

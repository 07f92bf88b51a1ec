/// A category of the indicator store (`malware`, `gambling`, ...): a small id, named by the
/// store (`IndicatorStore.name(of:)`).
@frozen
public struct IndicatorCategory: Hashable, Comparable, Sendable {
    public let rawValue: UInt16
    @inlinable public init(rawValue: UInt16) { self.rawValue = rawValue }
    @inlinable public static func < (a: Self, b: Self) -> Bool { a.rawValue < b.rawValue }
}

/// A list an entry came from (its provenance): a small id, named by the store
/// (`IndicatorStore.name(of:)`), e.g. `ut1/gambling/domains` or a file's path.
@frozen
public struct IndicatorSource: Hashable, Comparable, Sendable {
    public let rawValue: UInt16
    @inlinable public init(rawValue: UInt16) { self.rawValue = rawValue }
    @inlinable public static func < (a: Self, b: Self) -> Bool { a.rawValue < b.rawValue }
}

/// The categories and sources of an entry, interned: entries with the same sets share one
/// id. Ids are dense (`0 ..< IndicatorStore.attributeCount`), so a profile can decide once
/// per id when it is compiled — an array of actions indexed by `rawValue` — and answer a
/// lookup on the hot path with one array read.
@frozen
public struct IndicatorAttributes: Hashable, Sendable {
    public let rawValue: UInt32
    @inlinable public init(rawValue: UInt32) { self.rawValue = rawValue }
}

/// The interned attribute sets of a store: per id, its categories and its sources (both
/// sorted, no repeats), in two pools.
struct AttributeTable: Sendable {
    var categoryStarts: [UInt32] = [0]
    var categoryPool: [UInt16] = []
    var sourceStarts: [UInt32] = [0]
    var sourcePool: [UInt16] = []

    var count: Int { categoryStarts.count - 1 }

    func categories(_ id: Int) -> ArraySlice<UInt16> {
        categoryPool[Int(categoryStarts[id])..<Int(categoryStarts[id + 1])]
    }

    func sources(_ id: Int) -> ArraySlice<UInt16> {
        sourcePool[Int(sourceStarts[id])..<Int(sourceStarts[id + 1])]
    }

    var memoryBytes: Int { (categoryStarts.count + sourceStarts.count) * 4 + (categoryPool.count + sourcePool.count) * 2 }
}

/// Interns attribute sets while a store is built, and merges them when an entry is listed
/// again with other categories or by another list.
struct AttributeInterner {
    struct Key: Hashable {
        var categories: [UInt16]
        var sources: [UInt16]
    }

    struct TooMany: Error {}

    private(set) var table = AttributeTable()
    private var index: [Key: UInt32] = [:]
    private var merges: [UInt64: UInt32] = [:]

    /// The id of these sets (sorted and deduplicated here).
    mutating func intern(categories: [UInt16], sources: [UInt16]) throws(TooMany) -> UInt32 {
        let key = Key(categories: Array(Set(categories)).sorted(), sources: Array(Set(sources)).sorted())
        if let id = index[key] { return id }
        let id = UInt32(table.count)
        guard Int(id) <= PackedKeyTable.maximumValue else { throw TooMany() }
        table.categoryPool += key.categories
        table.categoryStarts.append(UInt32(table.categoryPool.count))
        table.sourcePool += key.sources
        table.sourceStarts.append(UInt32(table.sourcePool.count))
        index[key] = id
        return id
    }

    /// The id of the union of two sets.
    mutating func merge(_ a: UInt32, _ b: UInt32) throws(TooMany) -> UInt32 {
        if a == b { return a }
        let pair = UInt64(min(a, b)) << 32 | UInt64(max(a, b))
        if let merged = merges[pair] { return merged }
        let merged = try intern(
            categories: Array(table.categories(Int(a))) + Array(table.categories(Int(b))),
            sources: Array(table.sources(Int(a))) + Array(table.sources(Int(b))))
        merges[pair] = merged
        return merged
    }
}

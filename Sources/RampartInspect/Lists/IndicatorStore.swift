import RampartWire

/// The indicator store: listed domains, URLs (host + path prefix) and IP prefixes, each with
/// its categories and the lists it came from. Built once by an `IndicatorStoreBuilder`, then
/// immutable and shared read-only between workers, like the compiled policy; a new version
/// is published by swapping the reference.
///
/// Lookups take borrowed bytes and allocate nothing:
/// - `domain(_:)`: a DNS qname, a TLS SNI, an HTTP host — the listed name itself or its
///   closest listed parent (`example.com` answers for `a.b.example.com`);
/// - `url(host:path:buffer:)`: an HTTP host and request target — the most specific listed
///   host (or parent), then its longest listed path prefix after normalisation;
/// - `classify(host:path:buffer:)`: a URL entry if one matches, else the domain entry;
/// - `address(_:)`: the longest listed prefix holding an address.
///
/// ```swift
/// var builder = IndicatorStoreBuilder()
/// let malware = try builder.attributes(categories: [builder.category("malware")], sources: [builder.source("feed.txt")])
/// try builder.addDomain("example.com", attributes: malware)
/// let store = builder.build()
/// store.domain("a.b.EXAMPLE.com.")?.matchedLength   // 11: "example.com" answered
/// ```
public struct IndicatorStore: Sendable {
    /// The owner of the memory the views below read.
    @usableFromInline let storage: IndicatorStorage
    // Views of the storage's tables, copied here so a lookup reads plain fields and never
    // retains or releases the storage.
    @usableFromInline let seed: UInt64
    @usableFromInline let names: NameTable
    @usableFromInline let nameDepths: UInt64
    @usableFromInline let urlHosts: PackedKeyTable
    @usableFromInline let urlHostDepths: UInt64
    @usableFromInline let urlPaths: PackedKeyTable
    @usableFromInline let addresses: AddressPrefixTable

    init(storage: IndicatorStorage) {
        self.storage = storage
        seed = storage.seed
        names = storage.names
        nameDepths = storage.nameDepths
        urlHosts = storage.urlHosts
        urlHostDepths = storage.urlHostDepths
        urlPaths = storage.urlPaths
        addresses = storage.addresses
    }

    /// A store with nothing listed.
    public static let empty = IndicatorStoreBuilder(seed: 0).build()

    public var statistics: IndicatorStoreStatistics { storage.statistics }

    /// Every category, in id order.
    public var categories: [IndicatorCategory] {
        (0..<storage.categoryNames.count).map { IndicatorCategory(rawValue: UInt16($0)) }
    }

    /// Every source, in id order.
    public var sources: [IndicatorSource] {
        (0..<storage.sourceNames.count).map { IndicatorSource(rawValue: UInt16($0)) }
    }

    public func name(of category: IndicatorCategory) -> String { storage.categoryNames[Int(category.rawValue)] }
    public func name(of source: IndicatorSource) -> String { storage.sourceNames[Int(source.rawValue)] }
    public func category(named name: String) -> IndicatorCategory? {
        storage.categoryIndex[name].map { IndicatorCategory(rawValue: $0) }
    }

    /// Attribute ids run from 0 to `attributeCount - 1` (see `IndicatorAttributes`).
    public var attributeCount: Int { storage.attributes.count }

    public func categories(of attributes: IndicatorAttributes) -> [IndicatorCategory] {
        storage.attributes.categories(Int(attributes.rawValue)).map { IndicatorCategory(rawValue: $0) }
    }

    public func sources(of attributes: IndicatorAttributes) -> [IndicatorSource] {
        storage.attributes.sources(Int(attributes.rawValue)).map { IndicatorSource(rawValue: $0) }
    }

    /// Whether an entry with these attributes is in `category`; no allocation.
    public func contains(_ category: IndicatorCategory, in attributes: IndicatorAttributes) -> Bool {
        storage.attributes.categories(Int(attributes.rawValue)).contains(category.rawValue)
    }

    /// The listed entry a match names, as text: `example.com`, `example.com/ads/`,
    /// `10.0.0.0/8`. Allocates; for events and tools.
    public func text(of match: IndicatorMatch) -> String {
        switch match.kind {
        case .domain:
            return String(decoding: names.name(at: Int(match.entry)), as: UTF8.self)
        case .url:
            let host = String(decoding: storage.urlHosts.key(at: match.hostEntry), as: UTF8.self)
            let key = storage.urlPaths.key(at: match.entry)
            return host + String(decoding: key[4...], as: UTF8.self)
        case .address:
            let record = storage.addresses.records[Int(match.entry)]
            let address = IPAddress(high: record.high, low: record.low)
            return "\(address)/\(Int(record.length) - (record.isIPv4 ? 96 : 0))"
        }
    }
}

/// Counts and memory of a store.
public struct IndicatorStoreStatistics: Sendable {
    public struct CategoryCount: Sendable, Equatable {
        public var domains = 0
        public var urls = 0
        public var addresses = 0
        public var total: Int { domains + urls + addresses }
    }

    public var domains = 0
    /// Listed URLs (host + path pairs).
    public var urls = 0
    /// Distinct hosts of the listed URLs.
    public var urlHosts = 0
    public var addresses = 0
    public var attributeSets = 0
    /// Every byte the store holds: arenas, slots, address records, attribute sets (names of
    /// categories and sources aside).
    public var memoryBytes = 0
    /// The domain table's share: its slots and the tails of long names.
    public var domainMemoryBytes = 0
    /// The most slots a search for a listed domain reads.
    public var longestDomainProbe = 0
    /// Entries per category, indexed by category id.
    public var perCategory: [CategoryCount] = []

    public var entries: Int { domains + urls + addresses }
}

/// The memory behind an `IndicatorStore`: allocated when the builder freezes, freed when
/// the last store referring to it goes. Immutable, hence shareable between threads.
@usableFromInline
final class IndicatorStorage: @unchecked Sendable {
    @usableFromInline let seed: UInt64
    @usableFromInline let names: NameTable
    /// Bit k: some listed name has k labels (bit 63: 63 or more).
    @usableFromInline let nameDepths: UInt64
    /// Hosts of listed URLs; a record's value is the longest listed path under it.
    @usableFromInline let urlHosts: PackedKeyTable
    @usableFromInline let urlHostDepths: UInt64
    @usableFromInline let urlPaths: PackedKeyTable
    @usableFromInline let addresses: AddressPrefixTable
    let attributes: AttributeTable
    let categoryNames: [String]
    let categoryIndex: [String: UInt16]
    let sourceNames: [String]
    private(set) var statistics = IndicatorStoreStatistics()

    init(
        seed: UInt64, names: NameTable, nameDepths: UInt64, urlHosts: PackedKeyTable, urlHostDepths: UInt64,
        urlPaths: PackedKeyTable, addresses: AddressPrefixTable, attributes: AttributeTable,
        categoryNames: [String], sourceNames: [String]
    ) {
        self.seed = seed
        self.names = names
        self.nameDepths = nameDepths
        self.urlHosts = urlHosts
        self.urlHostDepths = urlHostDepths
        self.urlPaths = urlPaths
        self.addresses = addresses
        self.attributes = attributes
        self.categoryNames = categoryNames
        self.sourceNames = sourceNames
        var index: [String: UInt16] = [:]
        for (i, name) in categoryNames.enumerated() { index[name] = UInt16(i) }
        self.categoryIndex = index
        self.statistics = computeStatistics()
    }

    deinit {
        names.deallocate()
        urlHosts.deallocate()
        urlPaths.deallocate()
        addresses.deallocate()
    }

    /// Walks every record once: counts per category.
    private func computeStatistics() -> IndicatorStoreStatistics {
        var s = IndicatorStoreStatistics()
        s.domains = names.count
        s.urls = urlPaths.count
        s.urlHosts = urlHosts.count
        s.addresses = addresses.count
        s.attributeSets = attributes.count
        s.domainMemoryBytes = names.memoryBytes
        s.memoryBytes = names.memoryBytes + urlHosts.memoryBytes + urlPaths.memoryBytes + addresses.memoryBytes
            + attributes.memoryBytes
        s.longestDomainProbe = names.longestProbe()
        var perAttribute = [(domains: Int, urls: Int, addresses: Int)](repeating: (0, 0, 0), count: attributes.count)
        func walk(_ table: PackedKeyTable, _ body: (Int) -> Void) {
            var offset = 0
            while offset < table.arenaBytes {
                let header = PackedKeyTable.header(table.arena, offset)
                body(Int(header >> 12))
                offset += 4 + Int(header & 0xFFF)
            }
        }
        names.forEachAttributes { perAttribute[$0].domains += 1 }
        walk(urlPaths) { perAttribute[$0].urls += 1 }
        for i in 0..<addresses.count { perAttribute[Int(addresses.records[i].attributes)].addresses += 1 }
        s.perCategory = [IndicatorStoreStatistics.CategoryCount](repeating: .init(), count: categoryNames.count)
        for (id, counts) in perAttribute.enumerated() {
            for category in attributes.categories(id) {
                s.perCategory[Int(category)].domains += counts.domains
                s.perCategory[Int(category)].urls += counts.urls
                s.perCategory[Int(category)].addresses += counts.addresses
            }
        }
        return s
    }
}

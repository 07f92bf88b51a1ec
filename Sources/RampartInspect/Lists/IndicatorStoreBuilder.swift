import RampartWire

/// Why an entry could not be added to a store.
public enum IndicatorStoreError: Error, Hashable, Sendable, CustomStringConvertible {
    /// The store holds its configured maximum of entries (domains + URLs + addresses).
    case full(limit: Int)
    /// More than 65,536 categories or sources, or 1,048,576 distinct attribute sets.
    case tooManyCategories
    case tooManySources
    case tooManyAttributeSets
    /// The names or URLs take more than 4 GiB.
    case arenaFull
    /// The entry itself is not valid.
    case invalid(IndicatorListProblem)

    public var description: String {
        switch self {
        case .full(let limit):
            return "the indicator store is full: it holds its maximum of \(limit) entries; raise the limit (--max-entries) or load fewer lists"
        case .tooManyCategories: return "more than 65,536 categories"
        case .tooManySources: return "more than 65,536 lists"
        case .tooManyAttributeSets: return "more than 1,048,576 distinct combinations of categories and lists"
        case .arenaFull: return "the listed names take more than 4 GiB"
        case .invalid(let problem): return problem.description
        }
    }
}

/// What adding an entry did.
public enum IndicatorInsertion: Sendable, Equatable {
    /// A new entry.
    case added
    /// The entry was listed already; it gained categories or sources.
    case merged
    /// The entry was listed already with these attributes: nothing changed.
    case unchanged
}

/// Builds an `IndicatorStore`: categories and sources are named, entries added (each once:
/// an entry listed again gains the new categories and sources), then `build()` freezes
/// everything into the immutable store. Loading is pure: the loaders take bytes.
///
/// ```swift
/// var builder = IndicatorStoreBuilder(maximumEntries: 1_000_000)
/// let ads = try builder.attributes(categories: [builder.category("ads")], sources: [builder.source("ads.txt")])
/// try builder.addDomain("ads.example", attributes: ads)
/// try builder.addURL("example.com/banners/", attributes: ads)
/// try builder.addNetwork(IPNetwork("192.0.2.0/24")!, attributes: ads)
/// let store = builder.build()
/// ```
public struct IndicatorStoreBuilder {
    /// The most entries the store may hold; adding one more throws `.full`.
    public let maximumEntries: Int
    let seed: UInt64
    var names: PackedKeyTableBuilder
    var nameDepths: UInt64 = 0
    var urlHosts: PackedKeyTableBuilder
    var urlHostDepths: UInt64 = 0
    var urlPaths: PackedKeyTableBuilder
    var addresses: AddressPrefixTableBuilder
    var interner = AttributeInterner()
    var categoryNames: [String] = []
    var categoryIndex: [String: UInt16] = [:]
    var sourceNames: [String] = []
    var sourceIndex: [String: UInt16] = [:]

    public static let defaultMaximumEntries = 20_000_000

    /// - Parameters:
    ///   - maximumEntries: the store's limit (domains + URLs + addresses).
    ///   - seed: the hashes' seed; random by default, so whoever writes a list cannot plan
    ///     collisions. Lookups answer the same whatever it is.
    public init(maximumEntries: Int = defaultMaximumEntries, seed: UInt64 = UInt64.random(in: .min ... .max)) {
        self.maximumEntries = maximumEntries
        self.seed = seed
        names = PackedKeyTableBuilder(shape: .name, seed: seed)
        urlHosts = PackedKeyTableBuilder(shape: .name, seed: seed)
        urlPaths = PackedKeyTableBuilder(shape: .path, seed: seed)
        addresses = AddressPrefixTableBuilder(seed: seed)
    }

    /// Domains + URLs + addresses held so far.
    public var entryCount: Int { names.count + urlPaths.count + addresses.count }
    public var domainCount: Int { names.count }
    public var urlCount: Int { urlPaths.count }
    public var addressCount: Int { addresses.count }
    /// Bytes held so far (the store holds about the same once built).
    public var memoryBytes: Int { names.memoryBytes + urlHosts.memoryBytes + urlPaths.memoryBytes + addresses.memoryBytes }

    /// The id of a category, named on first use.
    public mutating func category(_ name: String) throws(IndicatorStoreError) -> IndicatorCategory {
        if let id = categoryIndex[name] { return IndicatorCategory(rawValue: id) }
        guard categoryNames.count <= Int(UInt16.max) else { throw .tooManyCategories }
        let id = UInt16(categoryNames.count)
        categoryNames.append(name)
        categoryIndex[name] = id
        return IndicatorCategory(rawValue: id)
    }

    /// The id of a source (a list), named on first use.
    public mutating func source(_ name: String) throws(IndicatorStoreError) -> IndicatorSource {
        if let id = sourceIndex[name] { return IndicatorSource(rawValue: id) }
        guard sourceNames.count <= Int(UInt16.max) else { throw .tooManySources }
        let id = UInt16(sourceNames.count)
        sourceNames.append(name)
        sourceIndex[name] = id
        return IndicatorSource(rawValue: id)
    }

    /// The interned attributes of an entry with these categories and sources.
    public mutating func attributes(categories: [IndicatorCategory], sources: [IndicatorSource]) throws(IndicatorStoreError)
        -> IndicatorAttributes
    {
        do {
            let id = try interner.intern(categories: categories.map(\.rawValue), sources: sources.map(\.rawValue))
            return IndicatorAttributes(rawValue: id)
        } catch {
            throw .tooManyAttributeSets
        }
    }

    private mutating func merged(_ old: UInt32, _ new: IndicatorAttributes) throws(IndicatorStoreError) -> UInt32 {
        do { return try interner.merge(old, new.rawValue) } catch { throw .tooManyAttributeSets }
    }

    private func checkRoom() throws(IndicatorStoreError) {
        if entryCount >= maximumEntries { throw .full(limit: maximumEntries) }
    }

    static func labelCount(_ name: UnsafeRawBufferPointer) -> Int {
        var labels = 1
        for b in name where b == 0x2E { labels += 1 }
        return labels
    }

    /// Adds a name already in `DomainName`'s normal form (lower case, validated).
    public mutating func addNormalizedDomain(_ name: UnsafeRawBufferPointer, attributes: IndicatorAttributes)
        throws(IndicatorStoreError) -> IndicatorInsertion
    {
        precondition(!name.isEmpty && name.count <= DomainName.maximumLength, "names are normalised first")
        let hash = IndicatorHash.name(name, seed: seed)
        if let offset = names.findName(hash: hash, name) {
            let old = names.value(at: offset)
            let new = try merged(old, attributes)
            if new == old { return .unchanged }
            names.setValue(new, at: offset)
            return .merged
        }
        try checkRoom()
        do { _ = try names.insert(hash: hash, key: name, value: attributes.rawValue) } catch { throw .arenaFull }
        nameDepths |= 1 << UInt64(min(Self.labelCount(name), 63))
        return .added
    }

    /// Validates, normalises (`DomainName`) and adds a name.
    @discardableResult
    public mutating func addDomain(_ name: String, attributes: IndicatorAttributes) throws(IndicatorStoreError)
        -> IndicatorInsertion
    {
        switch DomainName.normalize(name) {
        case .failure(let problem): throw .invalid(problem)
        case .success(let normal):
            let bytes = Array(normal.utf8)
            return try bytes.withUnsafeBytes { b in
                Result { () throws(IndicatorStoreError) in try addNormalizedDomain(b, attributes: attributes) }
            }.get()
        }
    }

    /// Adds a URL already split and normalised (`ListedURL`).
    @discardableResult
    public mutating func addURL(_ url: ListedURL, attributes: IndicatorAttributes) throws(IndicatorStoreError)
        -> IndicatorInsertion
    {
        precondition(!url.host.isEmpty && !url.path.isEmpty && url.path.count <= ListedURL.maximumPathLength)
        let hostRecord: UInt32
        let hostHash = url.host.withUnsafeBytes { IndicatorHash.name($0, seed: seed) }
        if let found = url.host.withUnsafeBytes({ urlHosts.findName(hash: hostHash, $0) }) {
            hostRecord = found
            let pathHash = url.path.withUnsafeBytes { IndicatorHash.path($0, host: hostRecord, seed: seed) }
            if let offset = url.path.withUnsafeBytes({ urlPaths.findPath(hash: pathHash, host: hostRecord, $0) }) {
                let old = urlPaths.value(at: offset)
                let new = try merged(old, attributes)
                if new == old { return .unchanged }
                urlPaths.setValue(new, at: offset)
                return .merged
            }
            try checkRoom()
        } else {
            try checkRoom()
            do {
                hostRecord = try url.host.withUnsafeBytes { try urlHosts.insert(hash: hostHash, key: $0, value: 0) }
            } catch { throw .arenaFull }
            urlHostDepths |= url.host.withUnsafeBytes { 1 << UInt64(min(Self.labelCount($0), 63)) }
        }
        let pathHash = url.path.withUnsafeBytes { IndicatorHash.path($0, host: hostRecord, seed: seed) }
        do {
            _ = try url.path.withUnsafeBytes {
                try urlPaths.insert(hash: pathHash, prefix: hostRecord, key: $0, value: attributes.rawValue)
            }
        } catch { throw .arenaFull }
        if urlHosts.value(at: hostRecord) < UInt32(url.path.count) {
            urlHosts.setValue(UInt32(url.path.count), at: hostRecord)
        }
        return .added
    }

    /// Parses, normalises (`ListedURL`) and adds a URL.
    @discardableResult
    public mutating func addURL(_ url: String, attributes: IndicatorAttributes) throws(IndicatorStoreError)
        -> IndicatorInsertion
    {
        switch ListedURL.parse(url) {
        case .failure(let problem): throw .invalid(problem)
        case .success(let listed): return try addURL(listed, attributes: attributes)
        }
    }

    /// Adds an address prefix (a host address is a /32 or /128).
    @discardableResult
    public mutating func addNetwork(_ network: IPNetwork, attributes: IndicatorAttributes) throws(IndicatorStoreError)
        -> IndicatorInsertion
    {
        if let index = addresses.find(network) {
            let old = addresses.attributes(at: index)
            let new = try merged(old, attributes)
            if new == old { return .unchanged }
            addresses.setAttributes(new, at: index)
            return .merged
        }
        try checkRoom()
        addresses.insert(network, attributes: attributes.rawValue)
        return .added
    }

    /// Freezes everything into an immutable store. The builder may be dropped afterwards;
    /// the store owns its own copy.
    public func build() -> IndicatorStore {
        IndicatorStore(
            storage: IndicatorStorage(
                seed: seed, names: NameTable.freeze(names), nameDepths: nameDepths, urlHosts: urlHosts.freeze(),
                urlHostDepths: urlHostDepths, urlPaths: urlPaths.freeze(), addresses: addresses.freeze(),
                attributes: interner.table, categoryNames: categoryNames, sourceNames: sourceNames))
    }
}

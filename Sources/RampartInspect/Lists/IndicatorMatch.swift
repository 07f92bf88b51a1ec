/// What kind of entry answered a lookup.
public enum IndicatorKind: UInt8, Sendable, CustomStringConvertible {
    /// A listed domain name (the queried name itself or a parent of it).
    case domain
    /// A listed URL: a host (or a parent of it) and a path prefix.
    case url
    /// A listed IP address or prefix.
    case address

    public var description: String {
        switch self {
        case .domain: "domain"
        case .url: "url"
        case .address: "address"
        }
    }
}

/// The entry that answered a lookup: its kind, its attributes (categories and sources) and
/// where it is stored, so the caller can print it (`IndicatorStore.text(of:)`) without the
/// lookup having made a string.
///
/// ```swift
/// if let match = store.domain(name) {
///     let blocked = actionByAttributes[Int(match.attributes.rawValue)]
/// }
/// ```
@frozen
public struct IndicatorMatch: Hashable, Sendable {
    public let kind: IndicatorKind
    public let attributes: IndicatorAttributes
    /// The entry's place in the store: a record offset (domains, URL paths) or an index
    /// (addresses). Meaningful only to the store that answered.
    public let entry: UInt32
    /// URL matches: the record of the listed host. 0 otherwise.
    public let hostEntry: UInt32
    /// How much of the query the entry covers: the listed name's length in bytes (domains;
    /// the query's suffix that matched), the listed path prefix's length in bytes (URLs,
    /// over the normalised path), or the prefix length in bits (addresses, in the address's
    /// own family: 0...32 or 0...128).
    public let matchedLength: Int
    /// The entry is the query itself: the same name, the same host and whole path, or a
    /// host prefix (/32, /128) for an address.
    public let isExact: Bool

    @inlinable
    init(kind: IndicatorKind, attributes: UInt32, entry: UInt32, hostEntry: UInt32 = 0, matchedLength: Int, isExact: Bool) {
        self.kind = kind
        self.attributes = IndicatorAttributes(rawValue: attributes)
        self.entry = entry
        self.hostEntry = hostEntry
        self.matchedLength = matchedLength
        self.isExact = isExact
    }
}

/// The answer to a URL lookup: the entry, if one is listed, and whether the path was too
/// long to normalise in the caller's buffer (then only host-level facts are known: the
/// profile decides what such a request deserves, typically the same as a listed one).
@frozen
public struct URLLookup: Hashable, Sendable {
    public var match: IndicatorMatch?
    public var pathTooLong: Bool

    @inlinable
    public init(match: IndicatorMatch?, pathTooLong: Bool) {
        self.match = match
        self.pathTooLong = pathTooLong
    }
}

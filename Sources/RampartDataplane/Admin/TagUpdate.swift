import RampartJSON
import RampartPolicy
import RampartWire

/// One address-to-tag update from the manager: the address's whole tag set (empty removes
/// its tags), numbered so stale or repeated updates are refused.
///
/// ```swift
/// let update = try TagUpdate(json: #"{"sequence": 12, "address": "10.244.1.10", "tags": ["ns:shop"]}"#)
/// ```
public struct TagUpdate: Sendable, Equatable {
    public var sequence: UInt64
    public var address: IPAddress
    public var tags: [Tag]

    public init(sequence: UInt64, address: IPAddress, tags: [Tag]) {
        self.sequence = sequence
        self.address = address
        self.tags = tags
    }

    /// Parses a JSON object `{"sequence": n, "address": "...", "tags": ["..."]}`; the
    /// error text says what is wrong.
    public init(json: String) throws(TagUpdateError) {
        let object = try TagBatch.object(json, expected: "{\"sequence\": n, \"address\": \"ip\", \"tags\": [...]}")
        let sequence = try TagBatch.sequence(object)
        try self.init(object: object, sequence: sequence, at: nil)
    }
}

/// What `POST /tags` carries: one update, several applied together (`updates`), or the
/// whole admin-managed address→tag map (`replace: true`, a resync). Workers apply a batch
/// between two packet batches, all of it or nothing.
///
/// ```swift
/// let batch = try TagBatch(json: #"{"sequence": 13, "replace": true, "updates": [{"address": "10.244.1.10", "tags": ["ns:shop"]}]}"#)
/// batch.updates.count   // 1
/// ```
public struct TagBatch: Sendable, Equatable {
    public var sequence: UInt64
    /// True for a resync: addresses absent from `updates` lose their admin tags.
    public var replace: Bool
    public var updates: [TagUpdate]

    public init(sequence: UInt64, replace: Bool = false, updates: [TagUpdate]) {
        self.sequence = sequence
        self.replace = replace
        self.updates = updates
    }

    /// Parses any of the three bodies of `POST /tags` (also the tag state file); errors name
    /// the update index at fault.
    public init(json: String) throws(TagUpdateError) {
        let object = try TagBatch.object(json, expected: "{\"sequence\": n, \"address\": \"ip\", \"tags\": [...]} or {\"sequence\": n, \"updates\": [...], \"replace\": false}")
        let sequence = try TagBatch.sequence(object)
        var replace = false
        if let r = object["replace"] {
            guard let flag = r.boolValue else { throw TagUpdateError("replace must be true or false") }
            replace = flag
        }
        guard let list = object["updates"] else {
            if replace { throw TagUpdateError("replace needs an updates list (it may be empty)") }
            let single = try TagUpdate(object: object, sequence: sequence, at: nil)
            self.init(sequence: sequence, updates: [single])
            return
        }
        if object["address"] != nil || object["tags"] != nil {
            throw TagUpdateError("give either address and tags (one update) or updates (a batch), not both")
        }
        guard let items = list.arrayValue else { throw TagUpdateError("updates must be a list of {\"address\": \"ip\", \"tags\": [...]}") }
        var updates: [TagUpdate] = []
        updates.reserveCapacity(items.count)
        var seen = Set<IPAddress>()
        for (i, item) in items.enumerated() {
            guard item.objectValue != nil else { throw TagUpdateError("updates[\(i)]: must be an object {\"address\": \"ip\", \"tags\": [...]}") }
            let update = try TagUpdate(object: item, sequence: sequence, at: i)
            guard seen.insert(update.address).inserted else {
                throw TagUpdateError("updates[\(i)]: address \(update.address) appears twice in the batch")
            }
            updates.append(update)
        }
        self.init(sequence: sequence, replace: replace, updates: updates)
    }

    /// A JSON string literal.
    static func quote(_ s: String) -> String { JSONValue.quoted(s) }

    /// The highest sequence accepted: 2^53 - 1, the largest integer every JSON reader keeps
    /// exactly. Far beyond any real run (a batch every millisecond for 285,000 years), and a
    /// bound, so one request near 2^64 cannot lock out every later update.
    public static let maximumSequence: UInt64 = (1 << 53) - 1

    /// The body as an object; duplicate member names are refused, since two readers of the
    /// same body must never see different values.
    static func object(_ json: String, expected: String) throws(TagUpdateError) -> JSONValue {
        let value: JSONValue
        do {
            value = try JSONValue.parse(json, duplicateKeys: .reject)
        } catch {
            throw TagUpdateError("body is not valid JSON (\(error)); expected \(expected)")
        }
        guard value.objectValue != nil else { throw TagUpdateError("body must be a JSON object \(expected)") }
        return value
    }

    /// `sequence`, a JSON integer from 1 to `maximumSequence` (not `1.5`, `"1"` or `true`).
    static func sequence(_ object: JSONValue) throws(TagUpdateError) -> UInt64 {
        guard let value = object["sequence"] else { throw TagUpdateError("sequence is missing; expected a positive integer") }
        guard let n = value.integer(UInt64.self, in: 1...maximumSequence) else {
            throw TagUpdateError("sequence must be an integer from 1 to \(maximumSequence), written without fraction or exponent (got \(value.serialized().prefix(40)))")
        }
        return n
    }

    /// The JSON of a resync holding `tags` (the tag state file's format).
    public static func json(sequence: UInt64, tags: [IPAddress: [Tag]]) -> String {
        var out = "{\"sequence\": \(sequence), \"replace\": true, \"updates\": ["
        var first = true
        for (address, list) in tags.sorted(by: { $0.key < $1.key }) {
            out += first ? "\n" : ",\n"
            first = false
            out += "{\"address\": \(TagBatch.quote(address.description)), \"tags\": [" + list.map { TagBatch.quote($0.description) }.joined(separator: ", ") + "]}"
        }
        return out + "\n]}\n"
    }
}

extension TagUpdate {
    init(object: JSONValue, sequence: UInt64, at index: Int?) throws(TagUpdateError) {
        let at = index.map { "updates[\($0)]: " } ?? ""
        let allowed = index == nil ? ["address", "tags", "sequence", "replace"] : ["address", "tags"]
        for (key, _) in object.objectValue ?? [] where !allowed.contains(key) {
            throw TagUpdateError("\(at)unknown field '\(key.prefix(40))'; expected address and tags")
        }
        guard let text = object["address"]?.stringValue, let address = IPAddress(text) else {
            throw TagUpdateError("\(at)address must be an IPv4 or IPv6 address")
        }
        guard let items = object["tags"]?.arrayValue else { throw TagUpdateError("\(at)tags must be a list of strings") }
        var list: [String] = []
        list.reserveCapacity(items.count)
        for item in items {
            guard let s = item.stringValue else { throw TagUpdateError("\(at)tags must be a list of strings") }
            list.append(s)
        }
        guard list.count <= 256 else { throw TagUpdateError("\(at)at most 256 tags per address (got \(list.count))") }
        var tags: [Tag] = []
        for item in list {
            guard let tag = Tag(validating: item) else { throw TagUpdateError("\(at)invalid tag '\(item.prefix(80))'") }
            tags.append(tag)
        }
        self.init(sequence: sequence, address: address, tags: tags)
    }
}

/// Why a tag update was refused.
public struct TagUpdateError: Error, Sendable, CustomStringConvertible {
    public var description: String
    public init(_ description: String) { self.description = description }
}

import Foundation
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
        guard let object = try? JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any] else {
            throw TagUpdateError("body must be a JSON object {\"sequence\": n, \"address\": \"ip\", \"tags\": [...]}")
        }
        guard let number = object["sequence"] as? NSNumber, number.int64Value > 0 else {
            throw TagUpdateError("sequence must be a positive integer")
        }
        guard let text = object["address"] as? String, let address = IPAddress(text) else {
            throw TagUpdateError("address must be an IPv4 or IPv6 address")
        }
        guard let list = object["tags"] as? [String] else { throw TagUpdateError("tags must be a list of strings") }
        var tags: [Tag] = []
        for item in list {
            guard let tag = Tag(validating: item) else { throw TagUpdateError("invalid tag '\(item.prefix(80))'") }
            tags.append(tag)
        }
        self.init(sequence: UInt64(number.int64Value), address: address, tags: tags)
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
        guard let object = try? JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any] else {
            throw TagUpdateError("body must be a JSON object: {\"sequence\": n, \"address\": \"ip\", \"tags\": [...]} or {\"sequence\": n, \"updates\": [...], \"replace\": false}")
        }
        guard let number = object["sequence"] as? NSNumber, number.int64Value > 0 else {
            throw TagUpdateError("sequence must be a positive integer")
        }
        let sequence = UInt64(number.int64Value)
        var replace = false
        if let r = object["replace"] {
            guard let flag = r as? Bool else { throw TagUpdateError("replace must be true or false") }
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
        guard let items = list as? [Any] else { throw TagUpdateError("updates must be a list of {\"address\": \"ip\", \"tags\": [...]}") }
        var updates: [TagUpdate] = []
        updates.reserveCapacity(items.count)
        var seen = Set<IPAddress>()
        for (i, item) in items.enumerated() {
            guard let o = item as? [String: Any] else { throw TagUpdateError("updates[\(i)]: must be an object {\"address\": \"ip\", \"tags\": [...]}") }
            let update = try TagUpdate(object: o, sequence: sequence, at: i)
            guard seen.insert(update.address).inserted else {
                throw TagUpdateError("updates[\(i)]: address \(update.address) appears twice in the batch")
            }
            updates.append(update)
        }
        self.init(sequence: sequence, replace: replace, updates: updates)
    }

    /// A JSON string literal.
    static func quote(_ s: String) -> String {
        var out = "\""
        for u in s.unicodeScalars {
            switch u {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            default: if u.value < 0x20 { out += "\\u" + String(format: "%04x", u.value) } else { out.unicodeScalars.append(u) }
            }
        }
        return out + "\""
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
    init(object: [String: Any], sequence: UInt64, at index: Int?) throws(TagUpdateError) {
        let at = index.map { "updates[\($0)]: " } ?? ""
        let allowed = index == nil ? ["address", "tags", "sequence", "replace"] : ["address", "tags"]
        for key in object.keys where !allowed.contains(key) {
            throw TagUpdateError("\(at)unknown field '\(key.prefix(40))'; expected address and tags")
        }
        guard let text = object["address"] as? String, let address = IPAddress(text) else {
            throw TagUpdateError("\(at)address must be an IPv4 or IPv6 address")
        }
        guard let list = object["tags"] as? [String] else { throw TagUpdateError("\(at)tags must be a list of strings") }
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

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

/// Why a tag update was refused.
public struct TagUpdateError: Error, Sendable, CustomStringConvertible {
    public var description: String
    public init(_ description: String) { self.description = description }
}

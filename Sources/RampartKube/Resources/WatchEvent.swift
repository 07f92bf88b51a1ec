/// One line of a watch stream.
///
/// ```swift
/// switch try WatchEvent<Pod>.decode(line: line) {
/// case .added(let pod), .modified(let pod): cache[pod.metadata.key] = pod
/// case .deleted(let pod): cache[pod.metadata.key] = nil
/// case .bookmark(let version): resourceVersion = version
/// case .error(let status): if status.code == 410 { relist() }
/// }
/// ```
public enum WatchEvent<Item: KubeObject>: Sendable {
    case added(Item)
    case modified(Item)
    case deleted(Item)
    /// Progress without a change: the resourceVersion to resume from.
    case bookmark(String)
    case error(KubeStatus)

    private struct Envelope<Object: Decodable>: Decodable {
        var type: String
        var object: Object
    }
    private struct TypeOnly: Decodable { var type: String }
    private struct BookmarkObject: Decodable {
        struct Meta: Decodable { var resourceVersion: String? }
        var metadata: Meta
    }

    /// Decodes one JSON line; the error says which part of the event was malformed.
    public static func decode(line: [UInt8]) throws(KubeError) -> WatchEvent<Item> {
        let kind = try KubeJSON.decode(TypeOnly.self, from: line, what: "watch event").type
        switch kind {
        case "ADDED": return .added(try KubeJSON.decode(Envelope<Item>.self, from: line, what: "\(Item.resource) ADDED event").object)
        case "MODIFIED": return .modified(try KubeJSON.decode(Envelope<Item>.self, from: line, what: "\(Item.resource) MODIFIED event").object)
        case "DELETED": return .deleted(try KubeJSON.decode(Envelope<Item>.self, from: line, what: "\(Item.resource) DELETED event").object)
        case "BOOKMARK":
            let object = try KubeJSON.decode(Envelope<BookmarkObject>.self, from: line, what: "BOOKMARK event").object
            guard let version = object.metadata.resourceVersion else {
                throw .malformed(what: "BOOKMARK event", detail: "object.metadata.resourceVersion is missing")
            }
            return .bookmark(version)
        case "ERROR": return .error(try KubeJSON.decode(Envelope<KubeStatus>.self, from: line, what: "ERROR event").object)
        default: throw .malformed(what: "watch event", detail: "type '\(kind.prefix(40))' is not ADDED, MODIFIED, DELETED, BOOKMARK or ERROR")
        }
    }
}

/// One page of a list response: `{"kind": "PodList", "metadata": {...}, "items": [...]}`.
///
/// ```swift
/// let page = try KubeJSON.decode(ObjectList<Pod>.self, from: body, what: "pods list")
/// page.metadata.continue  // non-nil while more pages remain
/// ```
public struct ObjectList<Item: KubeObject>: Decodable, Sendable {
    public var metadata: ListMeta
    public var items: [Item]
    /// Items that could not be read, each as "items[N] (namespace/name): what was wrong".
    /// One malformed object must not stop the rest from being watched.
    public var rejected: [String]

    public struct ListMeta: Decodable, Sendable {
        public var resourceVersion: String?
        public var `continue`: String?
        public var remainingItemCount: Int?
    }

    enum CodingKeys: String, CodingKey { case metadata, items }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        metadata = try c.decode(ListMeta.self, forKey: .metadata)
        // The API sends `"items": null` for an empty list in some versions.
        let attempts = try c.decodeIfPresent([Attempt<Item>].self, forKey: .items) ?? []
        items = attempts.compactMap(\.value)
        rejected = attempts.enumerated().compactMap { index, attempt in
            attempt.problem.map { "items[\(index)]\(attempt.name.map { " (\($0))" } ?? ""): \($0)" }
        }
    }
}

/// Decodes one element, keeping the failure instead of failing the whole list.
struct Attempt<T: Decodable>: Decodable {
    var value: T?
    var problem: String?
    var name: String?

    private struct Named: Decodable {
        struct Meta: Decodable {
            var name: String?
            var namespace: String?
        }
        var metadata: Meta?
    }

    init(from decoder: any Decoder) throws {
        do {
            value = try T(from: decoder)
        } catch let error as DecodingError {
            problem = KubeJSON.describe(error, droppingPrefix: decoder.codingPath.count)
            if let meta = (try? Named(from: decoder))?.metadata {
                name = [meta.namespace, meta.name].compactMap { $0 }.joined(separator: "/")
            }
        }
    }
}

/// The API's error object (`kind: Status`), sent with failing responses and in watch
/// ERROR events.
public struct KubeStatus: Decodable, Sendable, Equatable {
    public var status: String?
    public var message: String?
    public var reason: String?
    public var code: Int?
}

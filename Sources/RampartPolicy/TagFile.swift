import RampartConfig
import RampartWire

/// Reads `AddressTags` documents: which tags each address holds.
///
/// ```yaml
/// apiVersion: rampart.io/v1
/// kind: AddressTags
/// metadata: {name: lab}
/// spec:
///   addresses:
///     - address: 10.200.2.2
///       tags: [cluster:lab, ns:shop, label:app=web]
/// ```
/// ```swift
/// let entries = try TagFile.load(yaml: text, file: "tags.yaml")
/// ```
public struct TagFile {
    public static let maximumEntries = 2_000_000
    public static let maximumTagsPerAddress = 256

    public static func load(yaml: String, file: String) throws(PolicyErrors) -> [(IPAddress, [Tag])] {
        let docs = try YAMLReader.documents(in: yaml, file: file)
        let reader = FieldReader(file: file)
        var out: [(IPAddress, [Tag])] = []
        for doc in docs where !doc.isNull {
            guard let (_, spec) = PolicyLoader.readHeader(doc, reader: reader, only: "AddressTags") else { continue }
            out += readSpec(spec, reader: reader)
        }
        if !reader.sink.isEmpty { throw PolicyErrors(reader.sink.sorted()) }
        return out
    }

    static func readSpec(_ spec: YAMLNode, reader r: FieldReader) -> [(IPAddress, [Tag])] {
        guard let f = r.fields(spec, "spec", allowed: ["addresses"], required: ["addresses"]),
              let a = f["addresses"], let items = r.list(a, "addresses", limit: maximumEntries) else { return [] }
        var out: [(IPAddress, [Tag])] = []
        out.reserveCapacity(items.count)
        var seen: [IPAddress: SourceLocation] = [:]
        for item in items {
            guard let e = r.fields(item, "an address entry", allowed: ["address", "tags"], required: ["address", "tags"]),
                  let an = e["address"], let text = r.string(an, "address"), let tn = e["tags"] else { continue }
            guard let address = IPAddress(text) else {
                r.error(an.location, "'\(text.prefix(64))' is not an IP address (tags are given per single address)")
                continue
            }
            if let first = seen[address] {
                r.error(an.location, "address \(address) is listed twice; first at \(first)")
                continue
            }
            seen[address] = an.location
            guard let tagItems = r.strings(tn, "tags", scalarAllowed: false, limit: maximumTagsPerAddress) else { continue }
            var tags: [Tag] = []
            for (t, node) in tagItems {
                if let tag = Tag(validating: t) { tags.append(tag) } else {
                    r.error(node.location, "'\(t.prefix(64))' is not a tag: \(Tag.problem(in: t) ?? "malformed")")
                }
            }
            out.append((address, tags))
        }
        return out
    }
}

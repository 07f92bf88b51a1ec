import RampartJSON

/// One plugin entry of a conflist's `plugins` array, written in the key order given.
///
/// ```swift
/// let entry = PluginEntry(type: "rampart-cni", fields: [("socket", .string("/run/rampart/node.sock"))])
/// entry.json  // {"type": "rampart-cni", "socket": "/run/rampart/node.sock"}
/// ```
public struct PluginEntry: Sendable, Equatable {
    public enum Value: Sendable, Equatable {
        case string(String)
        case integer(Int)
        case bool(Bool)
        case strings([String])
    }

    public var type: String
    public var fields: [(key: String, value: Value)]

    public init(type: String, fields: [(key: String, value: Value)] = []) {
        self.type = type
        self.fields = fields
    }

    public static func == (a: PluginEntry, b: PluginEntry) -> Bool {
        a.type == b.type && a.fields.elementsEqual(b.fields) { $0.key == $1.key && $0.value == $1.value }
    }

    /// The entry as one line of JSON.
    public var json: String {
        var parts = ["\"type\": \(Self.quoted(type))"]
        for (key, value) in fields where key != "type" {
            let text: String
            switch value {
            case .string(let string): text = Self.quoted(string)
            case .integer(let number): text = String(number)
            case .bool(let flag): text = flag ? "true" : "false"
            case .strings(let list): text = "[" + list.map(Self.quoted).joined(separator: ", ") + "]"
            }
            parts.append("\(Self.quoted(key)): \(text)")
        }
        return "{" + parts.joined(separator: ", ") + "}"
    }

    /// A JSON string literal (`\n`, `\r`, `\t` by name, other controls as `\u00XX`).
    static func quoted(_ string: String) -> String { JSONValue.quoted(string) }
}

/// Edits a primary plugin's conflist in place: appends the chained entry at the end of
/// `plugins`, or removes it, leaving every other byte of the file exactly as the primary
/// wrote it (its formatting, key order and comments-free quirks), so a diff shows one line
/// and `uninstall` gives back the original file.
///
/// ```swift
/// let edited = try ConflistEditor.inserting(entry, into: original, path: "10-calico.conflist")
/// let restored = try ConflistEditor.removing(type: "rampart-cni", from: edited ?? original, path: "…")
/// ```
public enum ConflistEditor {
    /// The conflist with `entry` as its last plugin, or nil when it already is exactly that
    /// (same fields, last in the chain): nothing to write.
    public static func inserting(_ entry: PluginEntry, into original: [UInt8], path: String) throws(NodeError) -> [UInt8]? {
        let plugins = try pluginElements(original, path: path)
        let wanted = try parsedObject(Array(entry.json.utf8), path: path)
        if let last = plugins.elements.last, let lastObject = try? parsedObject(Array(original[last]), path: path),
            lastObject.sameMeaning(as: wanted),
            plugins.elements.dropLast().allSatisfy({ type(of: original, $0, path: path) != entry.type })
        {
            return nil
        }
        let cleaned = try removing(type: entry.type, from: original, path: path) ?? original
        let scan = try pluginElements(cleaned, path: path)
        guard let last = scan.elements.last else {
            throw .conflist(path: path, reason: "its plugins list is empty; the primary CNI plugin must be installed first")
        }
        // Reuse the separator in front of the last element so the new line is indented like
        // its neighbours.
        let scanner = JSONTextScanner(cleaned)
        var separatorStart = last.lowerBound
        while separatorStart > scan.array.lowerBound + 1, scanner.isWhitespace(at: separatorStart - 1) { separatorStart -= 1 }
        let separator = Array(cleaned[separatorStart..<last.lowerBound])
        var result = Array(cleaned[..<last.upperBound])
        result.append(UInt8(ascii: ","))
        result += separator.isEmpty ? [0x20] : separator
        result += Array(entry.json.utf8)
        result += cleaned[last.upperBound...]
        return result
    }

    /// The conflist without any plugin of `type`, or nil when it has none.
    public static func removing(type pluginType: String, from original: [UInt8], path: String) throws(NodeError) -> [UInt8]? {
        var bytes = original
        var changed = false
        while true {
            let scan = try pluginElements(bytes, path: path)
            var target: Int?
            for (index, element) in scan.elements.enumerated().reversed() where type(of: bytes, element, path: path) == pluginType {
                target = index
                break
            }
            guard let index = target else { break }
            let elements = scan.elements
            let cut: Range<Int>
            if index > 0 {
                // From the end of the previous element: the comma and separator go too.
                cut = elements[index - 1].upperBound..<elements[index].upperBound
            } else if elements.count > 1 {
                cut = elements[0].lowerBound..<elements[1].lowerBound
            } else {
                cut = elements[0]
            }
            bytes.removeSubrange(cut)
            changed = true
        }
        return changed ? bytes : nil
    }

    /// The `type` of every plugin in the chain, in order.
    public static func pluginTypes(_ bytes: [UInt8], path: String) throws(NodeError) -> [String] {
        let scan = try pluginElements(bytes, path: path)
        var types: [String] = []
        for element in scan.elements { types.append(type(of: bytes, element, path: path) ?? "") }
        return types
    }

    private static func pluginElements(_ bytes: [UInt8], path: String) throws(NodeError) -> (array: Range<Int>, elements: [Range<Int>]) {
        let root = try parsedObject(bytes, path: path)
        guard root["plugins"]?.arrayValue != nil else {
            throw .conflist(path: path, reason: "no plugins list: a conflist is {\"cniVersion\", \"name\", \"plugins\": [...]}")
        }
        let scanner = JSONTextScanner(bytes)
        guard let array = scanner.member("plugins", ofObjectAt: 0), let elements = scanner.elements(ofArrayAt: array.lowerBound) else {
            throw .conflist(path: path, reason: "cannot locate the plugins list in the text")
        }
        return (array, elements)
    }

    private static func type(of bytes: [UInt8], _ element: Range<Int>, path: String) -> String? {
        (try? parsedObject(Array(bytes[element]), path: path))?["type"]?.stringValue
    }

    private static func parsedObject(_ bytes: [UInt8], path: String) throws(NodeError) -> JSONValue {
        guard let object = try? JSONValue.parse(bytes), object.objectValue != nil else {
            throw .conflist(path: path, reason: "not a JSON object")
        }
        return object
    }
}

extension JSONTextScanner {
    func isWhitespace(at index: Int) -> Bool {
        guard index >= 0, index < bytes.count else { return false }
        let byte = bytes[index]
        return byte == 0x20 || byte == 0x0A || byte == 0x0D || byte == 0x09
    }
}

extension JSONValue {
    /// Equal as data, as two parsed dictionaries compare: member order does not count (of a
    /// repeated name the last counts), numbers compare by value (`1` is `1.0`), and
    /// everything else exactly.
    func sameMeaning(as other: JSONValue) -> Bool {
        switch (self, other) {
        case (.number(let a), .number(let b)):
            if a == b { return true }
            if let x = Int64(a), let y = Int64(b) { return x == y }
            guard let x = Double(a), let y = Double(b) else { return false }
            return x == y
        case (.array(let a), .array(let b)):
            return a.count == b.count && zip(a, b).allSatisfy { $0.sameMeaning(as: $1) }
        case (.object(let a), .object(let b)):
            var left: [String: JSONValue] = [:]
            for (key, value) in a { left[key] = value }
            var right: [String: JSONValue] = [:]
            for (key, value) in b { right[key] = value }
            guard left.count == right.count else { return false }
            return left.allSatisfy { key, value in right[key].map { value.sameMeaning(as: $0) } ?? false }
        default:
            return self == other
        }
    }
}

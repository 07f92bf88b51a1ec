#if canImport(Glibc)
import Glibc
#endif
import RampartNetlink

/// What ADD installed for one attachment, kept in `stateDir/<containerID>-<ifname>.json`
/// so DEL and GC remove exactly those rules even when the config changed meanwhile, the
/// netns is gone or the runtime sends no `prevResult`.
///
/// ```swift
/// let store = AttachmentStore(directory: "/var/lib/cni/rampart")
/// try store.save(record)
/// let again = store.load(AttachmentKey(containerID: id, interfaceName: "eth0"))
/// ```
public struct AttachmentRecord: Sendable, Hashable {
    public var key: AttachmentKey
    public var namespace: String
    public var pod: String
    public var steered: Bool
    public var hostInterface: String
    public var addresses: [String]
    /// The attachment rules ADD owns (shared rules and routes are not recorded).
    public var rules: [Rule]

    public init(key: AttachmentKey, namespace: String, pod: String, steered: Bool, hostInterface: String,
                addresses: [String], rules: [Rule]) {
        self.key = key
        self.namespace = namespace
        self.pod = pod
        self.steered = steered
        self.hostInterface = hostInterface
        self.addresses = addresses
        self.rules = rules
    }

    public var json: JSONValue {
        .object([
            ("containerID", .string(key.containerID)), ("ifname", .string(key.interfaceName)),
            ("namespace", .string(namespace)), ("pod", .string(pod)), ("steered", .bool(steered)),
            ("hostInterface", .string(hostInterface)), ("ips", .array(addresses.map { .string($0) })),
            ("rules", .array(rules.map(AttachmentRecord.encode))),
        ])
    }

    /// Reads a record; nil when anything is off (a damaged file is treated as absent).
    public init?(json: JSONValue) {
        guard let id = json["containerID"]?.stringValue, let ifname = json["ifname"]?.stringValue,
              let steered = json["steered"]?.boolValue, let items = json["rules"]?.arrayValue else { return nil }
        var rules: [Rule] = []
        for item in items {
            guard let rule = AttachmentRecord.decode(item) else { return nil }
            rules.append(rule)
        }
        self.init(key: AttachmentKey(containerID: id, interfaceName: ifname), namespace: json["namespace"]?.stringValue ?? "",
                  pod: json["pod"]?.stringValue ?? "", steered: steered, hostInterface: json["hostInterface"]?.stringValue ?? "",
                  addresses: (json["ips"]?.arrayValue ?? []).compactMap(\.stringValue), rules: rules)
    }

    static func encode(_ rule: Rule) -> JSONValue {
        var members: [(String, JSONValue)] = [("family", .string(rule.family == .ipv4 ? "inet" : "inet6"))]
        if let p = rule.priority { members.append(("priority", .number(String(p)))) }
        if let s = rule.source { members.append(("from", .string("\(s.address)/\(s.length)"))) }
        if let d = rule.destination { members.append(("to", .string("\(d.address)/\(d.length)"))) }
        if let i = rule.inputInterface { members.append(("iif", .string(i))) }
        if rule.action != .lookup { members.append(("action", .string("\(rule.action)"))) }
        members.append(("table", .number(String(rule.table))))
        return .object(members)
    }

    static func decode(_ json: JSONValue) -> Rule? {
        guard let familyText = json["family"]?.stringValue, let tableValue = json["table"]?.intValue,
              let table = UInt32(exactly: tableValue) else { return nil }
        let family: NetlinkAddressFamily = familyText == "inet" ? .ipv4 : .ipv6
        var rule = Rule(family: family, table: table)
        if let p = json["priority"]?.intValue { guard let priority = UInt32(exactly: p) else { return nil }; rule.priority = priority }
        if let s = json["from"]?.stringValue { guard let prefix = NetlinkPrefix(s), prefix.family == family else { return nil }; rule.source = prefix }
        if let d = json["to"]?.stringValue { guard let prefix = NetlinkPrefix(d), prefix.family == family else { return nil }; rule.destination = prefix }
        rule.inputInterface = json["iif"]?.stringValue
        if let name = json["action"]?.stringValue {
            guard let action = Rule.Action(name: name) else { return nil }
            rule.action = action
        }
        return rule
    }
}

/// The directory of attachment records.
///
/// ```swift
/// let stale = AttachmentStore(directory: "/var/lib/cni/rampart").all().filter { !valid.contains($0.key) }
/// ```
public struct AttachmentStore: Sendable {
    public var directory: String
    public init(directory: String) { self.directory = directory }

    public func path(for key: AttachmentKey) -> String { "\(directory)/\(key.containerID)-\(key.interfaceName).json" }

    /// Writes the record atomically (temporary file, then rename).
    public func save(_ record: AttachmentRecord) throws(CNIError) {
        try makeDirectory()
        let final = path(for: record.key)
        let temporary = final + ".tmp"
        let bytes = Array((record.json.serialized() + "\n").utf8)
        let fd = open(temporary, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw CNIError(.ioFailure, "writing attachment record \(temporary)", details: AgentClient.errorText(errno)) }
        // A temporary file left by a crash keeps its old mode through O_TRUNC: set it.
        fchmod(fd, 0o600)
        let written = bytes.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
        close(fd)
        guard written == bytes.count, rename(temporary, final) == 0 else {
            unlink(temporary)
            throw CNIError(.ioFailure, "writing attachment record \(final)", details: AgentClient.errorText(errno))
        }
    }

    /// The record for `key`, or nil when there is none (or it is unreadable).
    public func load(_ key: AttachmentKey) -> AttachmentRecord? { load(path: path(for: key)) }

    /// Deletes the record; a missing one is fine.
    public func delete(_ key: AttachmentKey) { unlink(path(for: key)) }

    /// Every readable record in the directory.
    public func all() -> [AttachmentRecord] {
        guard let dir = opendir(directory) else { return [] }
        defer { closedir(dir) }
        var result: [AttachmentRecord] = []
        while let entry = readdir(dir) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
            }
            guard name.hasSuffix(".json") else { continue }
            if let record = load(path: "\(directory)/\(name)") { result.append(record) }
        }
        return result
    }

    private func load(path: String) -> AttachmentRecord? {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var bytes: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 8192)
        while true {
            let count = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            guard count > 0 else { break }
            bytes.append(contentsOf: buffer[0..<count])
            if bytes.count > 1 << 20 { return nil }
        }
        guard let json = try? JSONValue.parse(bytes) else { return nil }
        return AttachmentRecord(json: json)
    }

    /// Creates the directory (and missing parents) 0700; an existing state directory that
    /// others can read (a hostPath `DirectoryOrCreate` makes 0755) is narrowed to 0700.
    /// Parents that already exist are left as they are.
    private func makeDirectory() throws(CNIError) {
        var path = ""
        for part in directory.split(separator: "/") {
            path += "/" + part
            if mkdir(path, 0o700) != 0 && errno != EEXIST {
                throw CNIError(.ioFailure, "creating state directory \(path)", details: AgentClient.errorText(errno))
            }
        }
        var info = stat()
        if stat(directory, &info) == 0, info.st_mode & 0o077 != 0, chmod(directory, 0o700) != 0 {
            throw CNIError(.ioFailure, "making state directory \(directory) root-only (0700)", details: AgentClient.errorText(errno))
        }
    }
}

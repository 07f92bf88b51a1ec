import RampartWire

/// A file seen in a session: the EVE `fileinfo` event in Suricata's shape (`fileinfo`:
/// filename, magic, state, md5, sha256, stored, size, tx_id), plus Rampart's own: the type
/// profiles name, the verdict (why it is malicious) and the tags of both ends.
///
/// Built on the cold path, once per file.
///
/// ```swift
/// var line = JSONLine()
/// file.writeEVE(into: &line)   // {"event_type":"fileinfo","fileinfo":{"filename":"/eicar.com","magic":"EICAR virus test files",...}}
/// ```
public struct FileRecord: Sendable, Equatable {
    public var timestamp: Timestamp
    public var flowID: UInt64
    public var packetNumber: UInt64
    /// The addresses the file travelled from and to (the server first for a download).
    public var sourceAddress: IPAddress
    public var sourcePort: UInt16
    public var destinationAddress: IPAddress
    public var destinationPort: UInt16
    public var ipProtocol: IPProtocol
    /// `http`, `smtp`.
    public var application: String
    /// The URI's path, Content-Disposition's filename, or the attachment's name.
    public var filename: String
    public var magic: String
    /// The type profiles name (`pe`, `elf`, `text` ...).
    public var type: String
    /// `CLOSED` (whole, hashed), `TRUNCATED` (the session ended first, or the file was over
    /// the size limit: no hashes).
    public var state: String
    public var md5: String?
    public var sha256: String?
    public var size: UInt64
    public var txID: UInt32
    /// `upload` (client to server) or `download`.
    public var direction: String
    /// `malicious` (a hash list or YARA rule named it) or `unknown`.
    public var verdict: String
    public var hashListEntry: String?
    public var yaraRules: [String]
    /// `allowed`, or `blocked` when a file blocking profile stopped the session.
    public var action: String
    /// The file blocking profile that judged it and what it said (`alert`, `block`).
    public var profile: String? = nil
    public var profileAction: String? = nil
    public var sourceTags: [String]
    public var destinationTags: [String]

    public init(timestamp: Timestamp, flowID: UInt64, packetNumber: UInt64, sourceAddress: IPAddress, sourcePort: UInt16,
                destinationAddress: IPAddress, destinationPort: UInt16, ipProtocol: IPProtocol, application: String,
                filename: String, magic: String, type: String, state: String, md5: String?, sha256: String?, size: UInt64,
                txID: UInt32, direction: String, verdict: String, hashListEntry: String?, yaraRules: [String],
                action: String, sourceTags: [String], destinationTags: [String]) {
        self.timestamp = timestamp; self.flowID = flowID; self.packetNumber = packetNumber
        self.sourceAddress = sourceAddress; self.sourcePort = sourcePort
        self.destinationAddress = destinationAddress; self.destinationPort = destinationPort
        self.ipProtocol = ipProtocol; self.application = application; self.filename = filename; self.magic = magic
        self.type = type; self.state = state; self.md5 = md5; self.sha256 = sha256; self.size = size; self.txID = txID
        self.direction = direction; self.verdict = verdict; self.hashListEntry = hashListEntry; self.yaraRules = yaraRules
        self.action = action; self.sourceTags = sourceTags; self.destinationTags = destinationTags
    }

    public func writeEVE(into line: inout JSONLine) {
        line.begin()
        line.field("timestamp", timestamp.eveText)
        line.field("flow_id", flowID)
        if packetNumber != 0 { line.field("pcap_cnt", packetNumber) }
        line.field("event_type", "fileinfo")
        line.field("src_ip", sourceAddress.description)
        line.field("src_port", sourcePort)
        line.field("dest_ip", destinationAddress.description)
        line.field("dest_port", destinationPort)
        line.field("proto", ipProtocol.description)
        line.field("app_proto", application)
        line.beginObject("fileinfo")
        line.field("filename", filename)
        line.field("magic", magic)
        line.field("gaps", false)
        line.field("state", state)
        if let md5 { line.field("md5", md5) }
        if let sha256 { line.field("sha256", sha256) }
        line.field("stored", false)
        line.field("size", size)
        line.field("tx_id", txID)
        line.endObject()
        line.beginObject("rampart")
        line.field("file_type", type)
        line.field("direction", direction)
        line.field("verdict", verdict)
        if let hashListEntry { line.field("hash_list", hashListEntry) }
        if !yaraRules.isEmpty { line.field("yara", strings: yaraRules) }
        line.field("action", action)
        if let profile { line.field("file_profile", profile) }
        if let profileAction { line.field("profile_action", profileAction) }
        line.field("src_tags", strings: sourceTags)
        line.field("dest_tags", strings: destinationTags)
        line.endObject()
        line.end()
    }
}

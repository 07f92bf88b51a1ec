import RampartPolicy
import RampartWire

/// MQTT: recognised by the client's CONNECT packet (the broker never speaks first): fixed
/// header `0x10`, a remaining-length varint of 1–4 bytes (10 … 1 MB), then the protocol
/// name and level — `00 04 "MQTT"` with level 4 (3.1.1) or 5, or `00 06 "MQIsdp"` with level
/// 3 (3.1) — and connect flags whose reserved bit is 0. The broker's answer, when present,
/// must be CONNACK (`0x20`). Extracts `detail["mqtt.version"]` and, after the keep-alive (and
/// MQTT 5 properties), `["mqtt.client_id"]`.
///
/// ```swift
/// var metadata = ApplicationMetadata()
/// if MQTT.probe(prefix, into: &metadata) == .identified(MQTT.application) {
///     print(metadata.detail["mqtt.client_id"] ?? "")   // "rampart-pub"
/// }
/// ```
enum MQTT {
    static let application = ApplicationCatalog.id(named: "mqtt")!
    static let maximumConnect = 1 << 20

    /// Identifies MQTT; see the type's documentation.
    static func probe(_ prefix: StreamPrefix, into metadata: inout ApplicationMetadata) -> ProbeResult {
        guard prefix.ipProtocol == .tcp else { return .notThis }
        let c = prefix.toServer
        if c.count == 0 {
            return prefix.toClient.count > 0 ? .notThis : ProbeBytes.waiting(complete: prefix.toServerComplete)
        }
        guard c[0] == 0x10 else { return .notThis }
        // Remaining length: 7 bits per byte, continuation in the top bit, at most 4 bytes.
        var remaining = 0
        var i = 1
        var shift = 0
        while true {
            guard let b = ProbeBytes.u8(c, at: i) else { return ProbeBytes.waiting(complete: prefix.toServerComplete) }
            remaining |= Int(b & 0x7F) << shift
            i &+= 1
            if b & 0x80 == 0 { break }
            shift &+= 7
            if i > 4 { return .notThis }
        }
        guard remaining >= 10, remaining <= maximumConnect else { return .notThis }
        let end = i &+ remaining
        let version: String
        let levelAt: Int
        switch (ProbeBytes.match(c, at: i, "\0\u{4}MQTT"), ProbeBytes.match(c, at: i, "\0\u{6}MQIsdp")) {
        case (.full, _):
            levelAt = i &+ 6
            guard let level = ProbeBytes.u8(c, at: levelAt) else { return ProbeBytes.waiting(complete: prefix.toServerComplete) }
            guard level == 4 || level == 5 else { return .notThis }
            version = level == 4 ? "3.1.1" : "5.0"
        case (_, .full):
            levelAt = i &+ 8
            guard let level = ProbeBytes.u8(c, at: levelAt) else { return ProbeBytes.waiting(complete: prefix.toServerComplete) }
            guard level == 3 else { return .notThis }
            version = "3.1"
        case (.partial, _), (_, .partial):
            return ProbeBytes.waiting(complete: prefix.toServerComplete)
        default:
            return .notThis
        }
        guard let flags = ProbeBytes.u8(c, at: levelAt &+ 1) else { return ProbeBytes.waiting(complete: prefix.toServerComplete) }
        guard flags & 0x01 == 0, levelAt &+ 4 <= end else { return .notThis }
        if let ack = ProbeBytes.u8(prefix.toClient, at: 0), ack != 0x20 { return .notThis }
        metadata.detail["mqtt.version"] = version
        if let id = clientID(c, at: levelAt &+ 4, end: min(end, c.count), properties: version == "5.0") {
            metadata.detail["mqtt.client_id"] = ProbeBytes.text(c, id, limit: 128)
        }
        return .identified(application)
    }

    /// The client identifier after the variable header (MQTT 5: after its properties), if it arrived.
    static func clientID(_ c: UnsafeRawBufferPointer, at: Int, end: Int, properties: Bool) -> Range<Int>? {
        var i = at
        if properties {
            var length = 0
            var shift = 0
            while true {
                guard let b = ProbeBytes.u8(c, at: i), i < end, shift <= 21 else { return nil }
                length |= Int(b & 0x7F) << shift
                i &+= 1
                if b & 0x80 == 0 { break }
                shift &+= 7
            }
            i &+= length
        }
        guard let n = ProbeBytes.be16(c, at: i), i &+ 2 &+ Int(n) <= end, n > 0 else { return nil }
        return (i &+ 2)..<(i &+ 2 &+ Int(n))
    }
}

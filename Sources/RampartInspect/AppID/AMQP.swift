import RampartPolicy
import RampartWire

/// AMQP: recognised by the client's 8-byte protocol header (the broker never speaks first):
/// `AMQP 0 0 9 1` (0-9-1, RabbitMQ's), `AMQP 1 1 0 9` / `AMQP 1 1 0 10` / `AMQP 1 1 8 0`
/// (0-9, 0-10, 0-8), or `AMQP id 1 0 0` with id 0, 2 or 3 (1.0 plain, TLS, SASL). The
/// broker's answer, when present, is a Connection.Start method frame (type 1, channel 0,
/// class 10 method 10) or a protocol header of its own (`AMQP…`). Extracts
/// `detail["amqp.version"]` and, from Connection.Start's server properties,
/// `["amqp.product"]` and `["amqp.product_version"]`.
///
/// ```swift
/// var metadata = ApplicationMetadata()
/// if AMQP.probe(prefix, into: &metadata) == .identified(AMQP.application) {
///     print(metadata.detail["amqp.version"] ?? "")   // "0-9-1"
/// }
/// ```
enum AMQP {
    static let application = ApplicationCatalog.id(named: "amqp")!

    /// The protocol version a header names, or nil for an unknown one.
    static func version(_ b: UnsafeRawBufferPointer, at i: Int) -> String? {
        guard let a = ProbeBytes.u8(b, at: i &+ 4), let m = ProbeBytes.u8(b, at: i &+ 5),
              let n = ProbeBytes.u8(b, at: i &+ 6), let r = ProbeBytes.u8(b, at: i &+ 7) else { return nil }
        switch (a, m, n, r) {
        case (0, 0, 9, 1): return "0-9-1"
        case (1, 1, 0, 9): return "0-9"
        case (1, 1, 0, 10): return "0-10"
        case (1, 1, 8, 0), (1, 1, 9, 1): return "0-8"
        case (0, 1, 0, 0): return "1.0"
        case (2, 1, 0, 0): return "1.0-tls"
        case (3, 1, 0, 0): return "1.0-sasl"
        default: return nil
        }
    }

    /// Identifies AMQP; see the type's documentation.
    static func probe(_ prefix: StreamPrefix, into metadata: inout ApplicationMetadata) -> ProbeResult {
        guard prefix.ipProtocol == .tcp else { return .notThis }
        let c = prefix.toServer
        if c.count == 0 {
            return prefix.toClient.count > 0 ? .notThis : ProbeBytes.waiting(complete: prefix.toServerComplete)
        }
        switch ProbeBytes.match(c, at: 0, "AMQP") {
        case .mismatch: return .notThis
        case .partial: return ProbeBytes.waiting(complete: prefix.toServerComplete)
        case .full: break
        }
        guard c.count >= 8 else {
            // The version bytes so far must start a known header.
            if c.count > 4 && c[4] > 3 { return .notThis }
            return ProbeBytes.waiting(complete: prefix.toServerComplete)
        }
        guard let version = version(c, at: 0) else { return .notThis }
        let s = prefix.toClient
        if let type = ProbeBytes.u8(s, at: 0) {
            if type == UInt8(ascii: "A") {
                if ProbeBytes.match(s, at: 0, "AMQP") == .mismatch { return .notThis }
            } else if type == 1 {
                // A method frame on channel 0.
                if ProbeBytes.match(s, at: 1, "\0\0") == .mismatch { return .notThis }
                if s.count >= 11, ProbeBytes.be16(s, at: 7) != 10 || ProbeBytes.be16(s, at: 9) != 10 { return .notThis }
                serverProperties(s, into: &metadata)
            } else {
                return .notThis
            }
        }
        metadata.detail["amqp.version"] = version
        return .identified(application)
    }

    /// `product` and `version` from Connection.Start's server-properties field table, walking
    /// at most 64 entries of the bytes present.
    static func serverProperties(_ s: UnsafeRawBufferPointer, into metadata: inout ApplicationMetadata) {
        // frame header (7), class and method (4), version major and minor (2), table length (4)
        guard let tableLength = ProbeBytes.be32(s, at: 13) else { return }
        let end = min(s.count, 17 &+ Int(min(tableLength, 65536)))
        var i = 17
        var entries = 0
        while entries < 64, let keyLength = ProbeBytes.u8(s, at: i) {
            let key = (i &+ 1)..<(i &+ 1 &+ Int(keyLength))
            guard let type = ProbeBytes.u8(s, at: key.upperBound), key.upperBound < end else { return }
            let value = key.upperBound &+ 1
            let size: Int
            switch type {
            case UInt8(ascii: "S"), UInt8(ascii: "F"), UInt8(ascii: "A"), UInt8(ascii: "x"):
                guard let n = ProbeBytes.be32(s, at: value), n <= 65536 else { return }
                size = 4 &+ Int(n)
                if type == UInt8(ascii: "S"), value &+ size <= end {
                    let text = (value &+ 4)..<(value &+ size)
                    if ProbeBytes.equals(s, key, "product") {
                        metadata.detail["amqp.product"] = ProbeBytes.text(s, text, limit: 64)
                    }
                    if ProbeBytes.equals(s, key, "version") {
                        metadata.detail["amqp.product_version"] = ProbeBytes.text(s, text, limit: 64)
                    }
                }
            case UInt8(ascii: "t"), UInt8(ascii: "b"), UInt8(ascii: "B"): size = 1
            case UInt8(ascii: "s"), UInt8(ascii: "u"): size = 2
            case UInt8(ascii: "I"), UInt8(ascii: "i"), UInt8(ascii: "f"): size = 4
            case UInt8(ascii: "D"): size = 5
            case UInt8(ascii: "l"), UInt8(ascii: "L"), UInt8(ascii: "d"), UInt8(ascii: "T"): size = 8
            case UInt8(ascii: "V"): size = 0
            default: return
            }
            i = value &+ size
            entries &+= 1
        }
    }
}

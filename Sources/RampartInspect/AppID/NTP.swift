import RampartPolicy
import RampartWire

/// NTP v3/v4 over UDP: recognised by a 48-byte header (plus whole 4-byte extension or MAC
/// words, ≤ 1024 bytes) with version 3 or 4 and mode 3 (client) or 4 (server), a stratum
/// ≤ 16, a poll exponent ≤ 17 and a precision of −32…0. A client request alone is not
/// enough — its first bytes fit a DNS query too — so it waits for the reply, whose origin
/// timestamp must echo the request's transmit timestamp. When no reply comes, or only the
/// server side was seen, a timestamp in the current NTP era (2010–2036) must back it up.
///
/// Extracts `detail["ntp.version"]`, `detail["ntp.mode"]` and the server's
/// `detail["ntp.stratum"]`.
///
/// ```swift
/// NTP.probe(prefix, into: &metadata)   // .identified(ntp); metadata.detail["ntp.stratum"] == "2"
/// ```
enum NTP {
    static let application = ApplicationCatalog.id(named: "ntp")!
    /// 2010-01-01 in NTP era-0 seconds: earlier transmit times are not a live clock.
    static let eraFloor: UInt32 = 3_471_292_800

    struct Header {
        var version: UInt8
        var mode: UInt8
        var stratum: UInt8
        /// Origin, receive and transmit timestamps (seconds and fraction as one UInt64).
        var origin: UInt64
        var receive: UInt64
        var transmit: UInt64
    }

    static func probe(_ prefix: StreamPrefix, into metadata: inout ApplicationMetadata) -> ProbeResult {
        guard prefix.ipProtocol == .udp else { return .notThis }
        let request = prefix.toServer, reply = prefix.toClient
        if request.isEmpty {
            guard !reply.isEmpty else { return prefix.toClientComplete ? .notThis : .needMore }
            guard let server = header(reply), server.mode == 4, inEra(server.transmit), inEra(server.receive),
                  server.stratum >= 1, server.stratum <= 15 else { return .notThis }
            describe(server, into: &metadata)
            return .identified(application)
        }
        guard let client = header(request), client.mode == 3 else { return .notThis }
        if reply.isEmpty {
            guard prefix.toClientComplete else { return .needMore }
            guard inEra(client.transmit) else { return .notThis }
            describe(client, into: &metadata)
            return .identified(application)
        }
        guard let server = header(reply), server.mode == 4, server.origin == client.transmit else { return .notThis }
        describe(client, into: &metadata)
        describe(server, into: &metadata)
        return .identified(application)
    }

    /// The fixed header, when every field is in range; `nil` otherwise.
    static func header(_ bytes: UnsafeRawBufferPointer) -> Header? {
        guard bytes.count >= 48, bytes.count <= 1024, bytes.count % 4 == 0 else { return nil }
        let version = (bytes[0] >> 3) & 7
        let mode = bytes[0] & 7
        let stratum = bytes[1]
        let poll = Int8(bitPattern: bytes[2])
        let precision = Int8(bitPattern: bytes[3])
        guard version == 3 || version == 4, mode == 3 || mode == 4, stratum <= 16,
              poll >= 0, poll <= 17, precision >= -32, precision <= 0 else { return nil }
        var c = ProbeCursor(bytes, offset: 24)
        guard let oh = c.u32(), let ol = c.u32(), let rh = c.u32(), let rl = c.u32(),
              let th = c.u32(), let tl = c.u32() else { return nil }
        return Header(version: version, mode: mode, stratum: stratum,
                      origin: UInt64(oh) << 32 | UInt64(ol), receive: UInt64(rh) << 32 | UInt64(rl),
                      transmit: UInt64(th) << 32 | UInt64(tl))
    }

    private static func inEra(_ timestamp: UInt64) -> Bool { UInt32(timestamp >> 32) >= eraFloor }

    private static func describe(_ h: Header, into metadata: inout ApplicationMetadata) {
        metadata.detail["ntp.version"] = String(h.version)
        metadata.detail["ntp.mode"] = h.mode == 3 ? "client" : "server"
        if h.mode == 4 { metadata.detail["ntp.stratum"] = String(h.stratum) }
    }
}

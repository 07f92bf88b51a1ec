import RampartPolicy
import RampartWire

/// Apache Kafka: recognised by the client's first request (the broker never speaks first),
/// a request header: `int32 size` (14 bytes … 100 MB, big-endian), `int16 api_key` in
/// 0…80, `int16 api_version` in 0…20, `int32 correlation_id` ≥ 0, then `client_id` as a
/// nullable `int16`-length string of printable ASCII (at most 512 bytes) that fits in `size`.
/// ApiVersions (18) is the usual first request. When the broker's answer arrived, its
/// correlation id must match. Extracts `detail["kafka.api_key"]` (`"18 ApiVersions"`),
/// `["kafka.api_version"]` and `["kafka.client_id"]`.
///
/// ```swift
/// var metadata = ApplicationMetadata()
/// if Kafka.probe(prefix, into: &metadata) == .identified(Kafka.application) {
///     print(metadata.detail["kafka.client_id"] ?? "")   // "rampart-admin"
/// }
/// ```
enum Kafka {
    static let application = ApplicationCatalog.id(named: "kafka")!
    static let maximumRequest: UInt32 = 100 * 1024 * 1024
    static let highestAPIKey: UInt16 = 80
    static let highestAPIVersion: UInt16 = 20
    static let maximumClientID = 512

    /// Names of the API keys a client sends first (or early), for the metadata.
    static func apiName(_ key: UInt16) -> String? {
        switch key {
        case 0: "Produce"
        case 1: "Fetch"
        case 2: "ListOffsets"
        case 3: "Metadata"
        case 8: "OffsetCommit"
        case 9: "OffsetFetch"
        case 10: "FindCoordinator"
        case 11: "JoinGroup"
        case 12: "Heartbeat"
        case 17: "SaslHandshake"
        case 18: "ApiVersions"
        case 19: "CreateTopics"
        case 20: "DeleteTopics"
        case 32: "DescribeConfigs"
        case 36: "SaslAuthenticate"
        case 60: "DescribeCluster"
        default: nil
        }
    }

    /// Identifies Kafka; see the type's documentation.
    static func probe(_ prefix: StreamPrefix, into metadata: inout ApplicationMetadata) -> ProbeResult {
        guard prefix.ipProtocol == .tcp else { return .notThis }
        let c = prefix.toServer
        if c.count == 0 {
            return prefix.toClient.count > 0 ? .notThis : ProbeBytes.waiting(complete: prefix.toServerComplete)
        }
        // size < 100 MB: the top byte is 0..6; api_key < 256: its high byte is 0.
        if c[0] > 6 { return .notThis }
        if c.count > 4 && c[4] != 0 { return .notThis }
        guard let size = ProbeBytes.be32(c, at: 0), let apiKey = ProbeBytes.be16(c, at: 4),
              let apiVersion = ProbeBytes.be16(c, at: 6), let correlation = ProbeBytes.be32(c, at: 8),
              let clientIDLength = ProbeBytes.be16(c, at: 12) else {
            return ProbeBytes.waiting(complete: prefix.toServerComplete)
        }
        guard size >= 10, size <= maximumRequest, apiKey <= highestAPIKey, apiVersion <= highestAPIVersion,
              correlation <= UInt32(Int32.max) else { return .notThis }
        var clientID: Range<Int>?
        if clientIDLength != 0xFFFF {   // -1: null client id
            let n = Int(clientIDLength)
            guard n <= maximumClientID, 10 &+ n <= Int(size) else { return .notThis }
            let end = 14 &+ n
            let present = min(end, c.count)
            guard ProbeBytes.isPrintable(c, 14..<present) else { return .notThis }
            guard end <= c.count else { return ProbeBytes.waiting(complete: prefix.toServerComplete) }
            clientID = 14..<end
        }
        guard responseFits(prefix.toClient, correlation: correlation) else { return .notThis }
        let name = apiName(apiKey).map { " \($0)" } ?? ""
        metadata.detail["kafka.api_key"] = "\(apiKey)\(name)"
        metadata.detail["kafka.api_version"] = "\(apiVersion)"
        if let clientID { metadata.detail["kafka.client_id"] = ProbeBytes.text(c, clientID) }
        return .identified(application)
    }

    /// The broker's answer, when present: `int32 size`, `int32 correlation_id` equal to the request's.
    static func responseFits(_ s: UnsafeRawBufferPointer, correlation: UInt32) -> Bool {
        if s.count > 0 && s[0] > 6 { return false }
        guard let size = ProbeBytes.be32(s, at: 0) else { return true }
        guard size >= 4, size <= maximumRequest else { return false }
        guard let answered = ProbeBytes.be32(s, at: 4) else { return true }
        return answered == correlation
    }
}

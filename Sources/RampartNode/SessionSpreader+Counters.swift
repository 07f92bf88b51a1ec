import RampartNetlink

/// What each firewall was actually sent: the spreading chain ends with two rules that count
/// every frame, and every new TCP session (a SYN without ACK), by the firewall its bucket
/// MAC belongs to, in named nftables counters (`fw4_10_0_0_50`, `fw4_10_0_0_50_syn`) looked
/// up through two maps from bucket MAC to counter:
///
/// ```
/// counter name ether daddr map @bucket_packets
/// tcp flags syn / syn,ack counter name ether daddr map @bucket_sessions
/// ```
///
/// The maps follow the bucket table (`programCounters`, after the FDB: counting never
/// delays a failover); the counters stay when their firewall loses its buckets, so what it
/// was sent before stays visible. `/metrics` reads them (`counters`).
///
/// ```swift
/// try spreader.programCounters(assignment, namespace: nil)
/// let sent = try spreader.counters(namespace: nil)     // [10.0.0.50: (packets, bytes, sessions)]
/// ```
extension SessionSpreader {
    static let packetCounters = "bucket_packets"
    static let sessionCounters = "bucket_sessions"

    /// The chain's counting rules, as `nft list` prints them.
    var countingRules: [String] {
        [
            "counter name ether daddr map @\(Self.packetCounters)",
            "tcp flags syn / syn,ack counter name ether daddr map @\(Self.sessionCounters)",
        ]
    }

    /// A counter's name for a firewall: nft names take letters, digits and underscores.
    static func counterName(of firewall: NetlinkAddress) -> String {
        let text = "\(firewall)"
        let v6 = text.contains(":")
        return (v6 ? "fw6_" : "fw4_") + String(text.map { $0 == "." || $0 == ":" ? "_" : $0 })
    }

    /// The firewall a counter name stands for (nil: not one of ours).
    static func firewall(ofCounter name: Substring) -> NetlinkAddress? {
        guard name.hasPrefix("fw4_") || name.hasPrefix("fw6_") else { return nil }
        let separator: Character = name.hasPrefix("fw4_") ? "." : ":"
        return NetlinkAddress(String(name.dropFirst(4).map { $0 == "_" ? separator : $0 }))
    }

    /// Points both maps at the counters of each bucket's owner (replaced whole, in one nft
    /// transaction); buckets without an owner are not counted.
    public func programCounters(_ assignment: BucketAssignment, namespace: NetworkNamespace?) throws(NodeError) {
        var script = "flush map netdev rampart \(Self.packetCounters); flush map netdev rampart \(Self.sessionCounters); "
        for firewall in Set(assignment.owners.compactMap { $0 }).sorted(by: { "\($0)" < "\($1)" }) {
            let name = Self.counterName(of: firewall)
            script += "add counter netdev rampart \(name); add counter netdev rampart \(name)_syn; "
        }
        var packets: [String] = []
        var sessions: [String] = []
        for bucket in 0..<min(buckets, assignment.buckets) {
            guard let owner = assignment.owners[bucket] else { continue }
            let name = Self.counterName(of: owner)
            packets.append("\(mac(of: bucket)) : \"\(name)\"")
            sessions.append("\(mac(of: bucket)) : \"\(name)_syn\"")
        }
        if !packets.isEmpty {
            script += "add element netdev rampart \(Self.packetCounters) { \(packets.joined(separator: ", ")) }; "
            script += "add element netdev rampart \(Self.sessionCounters) { \(sessions.joined(separator: ", ")) }"
        }
        let result = try runNft(script, namespace: namespace)
        guard result.status == 0 else {
            throw .tunnel("pointing the per-firewall counters of \(settings.name) at the buckets' owners: \(result.output.prefix(400))")
        }
    }

    /// Frames, bytes and new TCP sessions sent to each firewall since the rule was installed.
    public func counters(namespace: NetworkNamespace?) throws(NodeError) -> [NetlinkAddress: (packets: Int, bytes: Int, sessions: Int)] {
        let result = try runNft("list counters table netdev rampart", namespace: namespace)
        guard result.status == 0 else { throw .tunnel("listing the per-firewall counters: \(result.output.prefix(400))") }
        var sent: [NetlinkAddress: (packets: Int, bytes: Int, sessions: Int)] = [:]
        var current: (NetlinkAddress, Bool)?
        for line in result.output.split(separator: "\n") {
            let words = line.split(separator: " ", omittingEmptySubsequences: true).map { $0.trimmingPrefix("\t") }
                .flatMap { $0.split(separator: "\t") }
            if words.count >= 2, words[0] == "counter" {
                let name = words[1]
                let syn = name.hasSuffix("_syn")
                current = Self.firewall(ofCounter: syn ? name.dropLast(4) : name).map { ($0, syn) }
            } else if let (firewall, syn) = current, words.count >= 4, words[0] == "packets", let packets = Int(words[1]), let bytes = Int(words[3]) {
                var entry = sent[firewall] ?? (0, 0, 0)
                if syn { entry.sessions = packets } else { entry.packets = packets; entry.bytes = bytes }
                sent[firewall] = entry
                current = nil
            }
        }
        return sent
    }
}

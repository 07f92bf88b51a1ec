import RampartNetlink

/// Spreads the tunnel's sessions over several firewalls (`spec.balancing: hash`). One
/// static nftables rule on the tunnel device's egress hook rewrites the gateway MAC of
/// every frame into a bucket MAC chosen by the kernel's symmetric flow hash of the inner
/// packet:
///
/// ```
/// table netdev rampart {
///   chain spread {
///     type filter hook egress device "rampart0" priority filter; policy accept;
///     ether daddr 02:00:00:00:77:01 @ll,16,32 set symhash mod 4096
///   }
/// }
/// fdb 02:00:00:00:00:00 … 02:00:00:00:0f:ff dev rampart0 dst FIREWALL-OF-BUCKET   (one per bucket)
/// ```
///
/// The device's own FDB then sends each bucket to its firewall; the agent changes only the
/// FDB entries of buckets whose owner changed (`BucketAssignment`), each replaced in one
/// netlink message. A firewall returns frames with MACs swapped, addressed to the device
/// itself, as with one firewall. The design and its alternatives: docs/node-agent.md,
/// "Several firewalls".
///
/// ```swift
/// let spreader = SessionSpreader(settings: settings, buckets: 4096)
/// try spreader.ensureRule()                 // in the tunnel's namespace
/// let moved = try spreader.program(BucketAssignment(buckets: 4096, firewalls: healthy), using: socket)
/// ```
///
/// With `hashScope: cluster` the bucket is instead a fixed-seed `jhash` of the connection's
/// tuple in its original direction, the same on every node whatever its boot key. Conntrack
/// knows the direction, but only in an inet hook, and only the netdev egress hook sees the
/// frame; the bucket travels between the two in the packet's `priority`:
///
/// ```
/// table inet rampart {
///   chain bucket {
///     type filter hook postrouting priority filter; policy accept;
///     oifname "rampart0" meta l4proto { tcp, udp, sctp } ct direction original
///         meta priority set jhash ip saddr . ip daddr . th sport . th dport mod 4096 seed 0x52414d50 offset 0x77010000
///     oifname "rampart0" meta l4proto { tcp, udp, sctp } ct direction reply
///         meta priority set jhash ip daddr . ip saddr . th dport . th sport mod 4096 seed 0x52414d50 offset 0x77010000
///     (the same for ip6, and addresses only for other protocols)
///   }
/// }
/// table netdev rampart {
///   map bucket_mac { type classid : ether_addr; elements = { 7701:0 : 02:00:00:00:00:00, … } }
///   chain spread {   (before the symhash rule)
///     ether daddr 02:00:00:00:77:01 meta priority & ffff:0 == 7701:0
///         ether daddr set meta priority map @bucket_mac meta priority set none
///   }
/// }
/// ```
///
/// A packet conntrack does not track keeps the gateway MAC through the first rule and gets
/// the symmetric hash. Why the priority and not the mark: docs/node-agent.md.
public struct SessionSpreader: Sendable {
    public let settings: TunnelSettings
    public let buckets: Int
    public let scope: NodeConfiguration.HashScope
    /// The `jhash` seed of `.cluster` scope.
    public let seed: UInt32

    /// "RAMP": any fixed value works, as long as every node of a cluster has the same.
    public static let defaultSeed: UInt32 = 0x5241_4D50
    /// `.cluster` scope marks a packet's priority with this major number (`7701:BUCKET`),
    /// so the egress rule tells a bucket from whatever priority a packet had before.
    static let priorityMarker: UInt32 = 0x7701_0000

    /// Buckets are written into bytes 2-5 of the gateway MAC, so they must stay below its
    /// last two bytes (0x7701 for the default) to never collide with it.
    public static let bucketRange = 16...16384

    public init(settings: TunnelSettings, buckets: Int, scope: NodeConfiguration.HashScope = .node, seed: UInt32 = SessionSpreader.defaultSeed) {
        self.settings = settings
        self.buckets = buckets
        self.scope = scope
        self.seed = seed
    }

    /// The MAC the rule writes for `bucket`: the gateway MAC's first two bytes, then the
    /// bucket as a 32-bit big-endian number.
    public func mac(of bucket: Int) -> MACAddress {
        let g = settings.gatewayMAC.bytes
        return MACAddress(bytes: [g[0], g[1], UInt8(truncatingIfNeeded: bucket >> 24), UInt8(truncatingIfNeeded: bucket >> 16),
                                  UInt8(truncatingIfNeeded: bucket >> 8), UInt8(truncatingIfNeeded: bucket)])!
    }

    /// The bucket a MAC names, nil for any other MAC.
    public func bucket(of mac: MACAddress) -> Int? {
        let b = mac.bytes, g = settings.gatewayMAC.bytes
        guard b[0] == g[0], b[1] == g[1] else { return nil }
        let value = Int(b[2]) << 24 | Int(b[3]) << 16 | Int(b[4]) << 8 | Int(b[5])
        return value < buckets ? value : nil
    }

    /// The rule's match and statement, as `nft list` prints them.
    var ruleText: String {
        "ether daddr \(settings.gatewayMAC) @ll,16,32 set symhash mod \(buckets)"
    }

    /// What the `.cluster` rules carry as their comment: a listing that shows it has them,
    /// for these buckets and this seed.
    var clusterComment: String { "rampart cluster hash \(buckets) seed \(seed)" }

    /// The `.cluster` scope's inet chain: the bucket into the packet's priority, hashed over
    /// the tuple in conntrack's original direction (a reply hashes its fields swapped).
    var clusterRules: [String] {
        let hash = "mod \(buckets) seed \(seed) offset \(Self.priorityMarker)"
        let device = "oifname \"\(settings.name)\""
        var rules: [String] = []
        for family in ["ip", "ip6"] {
            rules.append("\(device) meta l4proto { tcp, udp, sctp } ct direction original meta priority set jhash \(family) saddr . \(family) daddr . th sport . th dport \(hash)")
            rules.append("\(device) meta l4proto { tcp, udp, sctp } ct direction reply meta priority set jhash \(family) daddr . \(family) saddr . th dport . th sport \(hash)")
            rules.append("\(device) meta l4proto != { tcp, udp, sctp } ct direction original meta priority set jhash \(family) saddr . \(family) daddr \(hash)")
            rules.append("\(device) meta l4proto != { tcp, udp, sctp } ct direction reply meta priority set jhash \(family) daddr . \(family) saddr \(hash)")
        }
        rules[rules.count - 1] += " comment \"\(clusterComment)\""
        return rules
    }

    /// The egress rule of `.cluster` scope: a marked priority picks the bucket MAC, then the
    /// priority is cleared (the outer packet leaves as if never marked).
    var clusterEgressRule: String {
        "ether daddr \(settings.gatewayMAC) meta priority & ffff:0 == 7701:0 ether daddr set meta priority map @bucket_mac "
            + "meta priority set none comment \"\(clusterComment)\""
    }

    /// The whole configuration, replaced in one transaction (packets see the old rules or
    /// the new).
    var script: String {
        var script = "add table netdev rampart; delete table netdev rampart; add table inet rampart; delete table inet rampart; "
        script += "table netdev rampart { "
        if scope == .cluster {
            let elements = (0..<buckets).map { "7701:\(String($0, radix: 16)) : \(mac(of: $0))" }.joined(separator: ", ")
            script += "map bucket_mac { type classid : ether_addr; elements = { \(elements) }; }; "
        }
        script += "chain spread { type filter hook egress device \"\(settings.name)\" priority 0; policy accept; "
        if scope == .cluster { script += "\(clusterEgressRule); " }
        script += "\(ruleText); \(countingRules.joined(separator: "; ")); }; "
        script += "map \(Self.packetCounters) { type ether_addr : counter; }; map \(Self.sessionCounters) { type ether_addr : counter; }; }"
        if scope == .cluster {
            script += "; table inet rampart { chain bucket { type filter hook postrouting priority 0; policy accept; "
                + clusterRules.joined(separator: "; ") + "; }; }"
        }
        return script
    }

    /// Installs the rules unless they are there already; true when it installed them. Runs
    /// `nft` in `namespace` (nil: the agent's own).
    @discardableResult
    public func ensureRule(namespace: NetworkNamespace? = nil) throws(NodeError) -> Bool {
        if try isInstalled(namespace: namespace) { return false }
        let install = try runNft(script, namespace: namespace)
        guard install.status == 0 else {
            throw .tunnel("installing the spreading rule on \(settings.name) with nft: \(install.output.prefix(400))")
        }
        return true
    }

    /// Whether the listed chains hold this scope's rules (and, for `.node`, none of the other).
    private func isInstalled(namespace: NetworkNamespace?) throws(NodeError) -> Bool {
        let list = try runNft("list chain netdev rampart spread", namespace: namespace)
        guard list.status == 0, list.output.contains(ruleText), list.output.contains("device \"\(settings.name)\""),
              countingRules.allSatisfy({ list.output.contains($0) }) else { return false }
        switch scope {
        case .node:
            return !list.output.contains("rampart cluster hash")
        case .cluster:
            guard list.output.contains(clusterComment) else { return false }
            let inet = try runNft("list chain inet rampart bucket", namespace: namespace)
            return inet.status == 0 && inet.output.contains(clusterComment)
        }
    }

    /// Removes the rules (and their tables); tolerates their absence.
    public func removeRule(namespace: NetworkNamespace? = nil) throws(NodeError) {
        _ = try runNft("delete table netdev rampart", namespace: namespace)
        _ = try runNft("delete table inet rampart", namespace: namespace)
    }

    func runNft(_ script: String, namespace: NetworkNamespace?) throws(NodeError) -> (status: Int32, output: String) {
        guard let namespace else { return try NftCommand.run(script) }
        // The child inherits this thread's namespace while `perform` holds it.
        var outcome: Result<(status: Int32, output: String), NodeError> = .failure(.tunnel("nft did not run"))
        do {
            try namespace.perform {
                do { outcome = .success(try NftCommand.run(script)) } catch let error as NodeError { outcome = .failure(error) }
            }
        } catch {
            throw .tunnel("entering \(namespace.path) to run nft: \(error)")
        }
        return try outcome.get()
    }

    /// The owner of each bucket as the device's FDB says now (nil: no entry).
    public func installed(using socket: NetlinkSocket) throws(NodeError) -> [NetlinkAddress?] {
        var owners: [NetlinkAddress?] = Array(repeating: nil, count: buckets)
        do {
            for entry in try socket.fdbEntries(link: .name(settings.name)) {
                guard let mac = entry.macAddress, let bucket = bucket(of: mac) else { continue }
                owners[bucket] = entry.address
            }
        } catch {
            throw .tunnel("listing the fdb of \(settings.name): \(error)")
        }
        return owners
    }

    /// Brings the FDB in line with `assignment`: replaces only the entries that differ
    /// (read back from the kernel, so an entry someone deleted comes back); buckets without
    /// an owner (no healthy firewall) keep their last firewall. Returns how many changed.
    @discardableResult
    public func program(_ assignment: BucketAssignment, using socket: NetlinkSocket) throws(NodeError) -> Int {
        let current = try installed(using: socket)
        // The device's index once: by name, every replacement would first ask for the link.
        let link: LinkSelector
        do { link = .index(try socket.resolveIndex(.name(settings.name))) } catch { throw .tunnel("finding \(settings.name): \(error)") }
        var changed = 0
        for bucket in 0..<min(buckets, assignment.buckets) {
            guard let owner = assignment.owners[bucket], current[bucket] != owner else { continue }
            do {
                try socket.replaceFDBEntry(link: link, macAddress: mac(of: bucket), destination: owner)
            } catch {
                throw .tunnel("pointing bucket \(bucket) of \(settings.name) at firewall \(owner): \(error)")
            }
            changed += 1
        }
        return changed
    }
}

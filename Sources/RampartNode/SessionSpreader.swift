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
public struct SessionSpreader: Sendable {
    public let settings: TunnelSettings
    public let buckets: Int

    /// Buckets are written into bytes 2-5 of the gateway MAC, so they must stay below its
    /// last two bytes (0x7701 for the default) to never collide with it.
    public static let bucketRange = 16...16384

    public init(settings: TunnelSettings, buckets: Int) {
        self.settings = settings
        self.buckets = buckets
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

    /// The whole table, replaced in one transaction (packets see the old rule or the new).
    var script: String {
        "add table netdev rampart; delete table netdev rampart; table netdev rampart { chain spread { "
            + "type filter hook egress device \"\(settings.name)\" priority 0; policy accept; \(ruleText); }; }"
    }

    /// Installs the rule unless it is there already; true when it installed it. Runs `nft`
    /// in `namespace` (nil: the agent's own).
    @discardableResult
    public func ensureRule(namespace: NetworkNamespace? = nil) throws(NodeError) -> Bool {
        let list = try runNft("list chain netdev rampart spread", namespace: namespace)
        if list.status == 0, list.output.contains(ruleText), list.output.contains("device \"\(settings.name)\"") { return false }
        let install = try runNft(script, namespace: namespace)
        guard install.status == 0 else {
            throw .tunnel("installing the spreading rule on \(settings.name) with nft: \(install.output.prefix(400))")
        }
        return true
    }

    /// Removes the rule (and its table); tolerates its absence.
    public func removeRule(namespace: NetworkNamespace? = nil) throws(NodeError) {
        _ = try runNft("delete table netdev rampart", namespace: namespace)
    }

    private func runNft(_ script: String, namespace: NetworkNamespace?) throws(NodeError) -> (status: Int32, output: String) {
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
        var changed = 0
        for bucket in 0..<min(buckets, assignment.buckets) {
            guard let owner = assignment.owners[bucket], current[bucket] != owner else { continue }
            do {
                try socket.replaceFDBEntry(link: .name(settings.name), macAddress: mac(of: bucket), destination: owner)
            } catch {
                throw .tunnel("pointing bucket \(bucket) of \(settings.name) at firewall \(owner): \(error)")
            }
            changed += 1
        }
        return changed
    }
}

import RampartNetlink

/// Which firewall serves each hash bucket: rendezvous (highest random weight) hashing over
/// the healthy firewalls. Bucket `b` goes to the firewall with the highest
/// `weight(b, firewall address)`, so
///
/// - every node computes the same table from the same healthy set (the weight depends on
///   nothing but the bucket and the address: no seed, no order);
/// - removing a firewall moves only its buckets (each to the survivor that was second for
///   it), and adding one moves only the buckets it now wins, about 1/N of them, all to it.
///
/// Rendezvous rather than Maglev: with 4096 buckets and at most 64 firewalls, computing
/// every weight (262,144 hashes, about a millisecond) is cheap, and it moves the minimum
/// by construction where Maglev trades a little extra movement for a faster build.
///
/// ```swift
/// let table = BucketAssignment(buckets: 4096, firewalls: [a, b, c])
/// table.owner(of: 17)                 // index into firewalls, nil when none is given
/// table.changes(from: previous)       // buckets whose owner differs
/// ```
public struct BucketAssignment: Sendable, Equatable {
    /// One entry per bucket: the owner, or nil when no firewall is healthy.
    public let owners: [NetlinkAddress?]

    public init(buckets: Int, firewalls: [NetlinkAddress]) {
        var owners: [NetlinkAddress?] = Array(repeating: nil, count: buckets)
        let keys = firewalls.map { BucketAssignment.key(of: $0) }
        for bucket in 0..<buckets {
            var best: (weight: UInt64, index: Int)?
            for (i, key) in keys.enumerated() {
                let weight = BucketAssignment.mix(key ^ (UInt64(bucket) &* 0x9E37_79B9_7F4A_7C15))
                // Ties (vanishingly rare) go to the lower address, so every node agrees.
                if best == nil || weight > best!.weight
                    || (weight == best!.weight && firewalls[i].bytes.lexicographicallyPrecedes(firewalls[best!.index].bytes)) {
                    best = (weight, i)
                }
            }
            owners[bucket] = best.map { firewalls[$0.index] }
        }
        self.owners = owners
    }

    public var buckets: Int { owners.count }

    /// How many buckets each firewall owns.
    public var shares: [NetlinkAddress: Int] {
        var shares: [NetlinkAddress: Int] = [:]
        for case let owner? in owners { shares[owner, default: 0] += 1 }
        return shares
    }

    /// The buckets whose owner differs between `previous` and this table.
    public func changes(from previous: BucketAssignment) -> [Int] {
        guard previous.owners.count == owners.count else { return Array(owners.indices) }
        return owners.indices.filter { owners[$0] != previous.owners[$0] }
    }

    /// FNV-1a over the address bytes, then mixed: a stable 64-bit key per firewall.
    static func key(of address: NetlinkAddress) -> UInt64 {
        var hash: UInt64 = 0xCBF2_9CE4_8422_2325
        for byte in address.bytes {
            hash ^= UInt64(byte)
            hash &*= 0x0000_0100_0000_01B3
        }
        return mix(hash)
    }

    /// The splitmix64 finaliser: every input bit affects every output bit.
    static func mix(_ value: UInt64) -> UInt64 {
        var z = value &+ 0x9E37_79B9_7F4A_7C15
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

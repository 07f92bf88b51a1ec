import RampartWire

/// The zones whose membership depends on the packet's tunnel (`vni` or `nodes`), compiled.
///
/// Tunnel zone `i` (0 ≤ i < 64, in declaration order) is bit `i` of every mask here. A
/// packet's tunnel selects a mask (`mask(vni:source:)`); an address selects another (the
/// zones whose networks or tags hold it, `universal` for zones with neither); the first
/// common bit is the address's zone when that zone is declared before the zone the address
/// would have without tunnels (the defaults.zone counts as last).
///
/// ```swift
/// let m = compiled.tunnelZones.mask(vni: 7, source: node)   // bit i: tunnel zone i accepts it
/// ```
struct TunnelZones: Sendable {
    /// Zone index of each tunnel zone, ascending.
    var zones: [UInt16] = []
    /// Sorted VNIs per tunnel zone; empty: any VNI.
    var vnis: [[UInt32]] = []
    /// Node ranges per tunnel zone; empty: any node.
    var nodes: [[AddressRange]] = []
    /// Tag expression id per tunnel zone, or -1.
    var expressions: [Int32] = []
    /// Tunnel zones with neither networks nor tags: they hold every address.
    var universal: UInt64 = 0
    /// Tunnel zones whose tag expression holds for an address with no tags.
    var untagged: UInt64 = 0
    /// Per address interval: the tunnel zones whose networks contain it.
    var intervalMask: [UInt64] = []

    var isEmpty: Bool { zones.isEmpty }

    /// The tunnel zones whose `vni` and `nodes` accept a tunnel (not per packet: the matcher
    /// keeps the last answer).
    func mask(vni: UInt32, source: IPAddress) -> UInt64 {
        var m: UInt64 = 0
        for i in zones.indices {
            let v = vnis[i]
            if !v.isEmpty && !TunnelZones.sortedContains(v, vni) { continue }
            let n = nodes[i]
            if !n.isEmpty && !n.contains(where: { $0.contains(source) }) { continue }
            m |= 1 << UInt64(i)
        }
        return m
    }

    /// The tunnel zones whose tag expression is among `matched` (ascending expression ids).
    func tagMask(matched: [Int32]) -> UInt64 {
        var m: UInt64 = 0
        for (i, e) in expressions.enumerated() where e >= 0 && matched.contains(e) { m |= 1 << UInt64(i) }
        return m
    }

    static func sortedContains(_ a: [UInt32], _ x: UInt32) -> Bool {
        var lo = 0, hi = a.count
        while lo < hi {
            let mid = (lo + hi) >> 1
            if a[mid] < x { lo = mid + 1 } else { hi = mid }
        }
        return lo < a.count && a[lo] == x
    }
}

/// One literal a prefilter database looks for: the bytes (hex bytes are literal, never a
/// regular expression), whether case is ignored (`nocase`), and the id reported on a hit.
public struct PrefilterPattern: Hashable, Sendable {
    public var bytes: [UInt8]
    public var caseless: Bool
    public var id: UInt32

    public init(bytes: [UInt8], caseless: Bool, id: UInt32) {
        self.bytes = bytes
        self.caseless = caseless
        self.id = id
    }
}

/// Which multi-pattern matcher a rule set is compiled for. Vectorscan (Debian's
/// libvectorscan) where it is linked; the pure-Swift Aho-Corasick automaton elsewhere, and in
/// tests that check the two agree on the same rules.
public enum PrefilterEngine: String, Sendable, CaseIterable {
    case vectorscan
    case ahoCorasick = "aho-corasick"

    /// Vectorscan when this build links it and the CPU can run it, else Aho-Corasick.
    public static var preferred: PrefilterEngine { VectorscanDatabase.isAvailable ? .vectorscan : .ahoCorasick }
}

/// Collects a scan's hits: each pattern id at most once per scan (an epoch stamp per id, so
/// nothing is cleared between scans), and only matches that end after `minimumEnd` (a stream
/// window's bytes already inspected with the previous packet must not alert twice).
///
/// Owned by one worker, preallocated for the largest database of its rule set; the scan
/// callbacks write through the pointer, so nothing is allocated per packet.
public final class PrefilterHits {
    let stamps: UnsafeMutablePointer<UInt32>
    let stampCount: Int
    /// Ids hit in this scan, in the order first seen.
    let ids: UnsafeMutablePointer<UInt32>
    var count = 0
    var epoch: UInt32 = 1
    var minimumEnd = 0

    init(patternCapacity: Int) {
        stampCount = max(1, patternCapacity)
        stamps = .allocate(capacity: stampCount)
        stamps.initialize(repeating: 0, count: stampCount)
        ids = .allocate(capacity: stampCount)
    }

    deinit {
        stamps.deallocate()
        ids.deallocate()
    }

    /// Starts a scan: forgets the previous hits in O(1).
    @inline(__always)
    func begin(minimumEnd: Int) {
        count = 0
        self.minimumEnd = minimumEnd
        epoch &+= 1
        if epoch == 0 {
            stamps.update(repeating: 0, count: stampCount)
            epoch = 1
        }
    }

    @inline(__always)
    func note(_ id: UInt32, end: Int) {
        let i = Int(id)
        guard end > minimumEnd, i < stampCount, stamps[i] != epoch else { return }
        stamps[i] = epoch
        ids[count] = id
        count += 1
    }

    /// The ids hit since `begin`.
    var hits: UnsafeBufferPointer<UInt32> { UnsafeBufferPointer(start: ids, count: count) }
}

/// The pure-Swift multi-pattern matcher: an Aho-Corasick automaton over case-folded bytes,
/// behind the same interface as `VectorscanDatabase`, for builds without Vectorscan (non-x86
/// targets) and as the reference the Vectorscan path is tested against.
///
/// Patterns are folded to lower case in the automaton; a hit of a case-sensitive pattern is
/// confirmed against the original bytes. Edges are stored per state in sorted runs
/// (binary-searched), the root's as a full table; failure links are followed at run time.
/// Simple and correct rather than fast: Vectorscan is the production path.
final class AhoCorasick: Sendable {
    /// Per state: its edges' range in `labels`/`targets`, its failure link, its outputs'
    /// range in `outputs`.
    let edgeStart: [Int32]
    let labels: [UInt8]
    let targets: [Int32]
    let failure: [Int32]
    let outputStart: [Int32]
    let outputs: [Int32]
    /// The root's transitions, complete (a missing edge stays at the root).
    let rootTable: [Int32]
    let patterns: [PrefilterPattern]

    static func fold(_ b: UInt8) -> UInt8 { b >= 0x41 && b <= 0x5A ? b | 0x20 : b }

    init(_ patterns: [PrefilterPattern]) {
        self.patterns = patterns
        // A trie with dictionary edges while building (cold path, once per rule set).
        var children: [[UInt8: Int32]] = [[:]]
        var terminal: [[Int32]] = [[]]
        for (index, p) in patterns.enumerated() {
            var state: Int32 = 0
            for b in p.bytes {
                let f = AhoCorasick.fold(b)
                if let next = children[Int(state)][f] {
                    state = next
                } else {
                    let next = Int32(children.count)
                    children.append([:])
                    terminal.append([])
                    children[Int(state)][f] = next
                    state = next
                }
            }
            terminal[Int(state)].append(Int32(index))
        }
        let count = children.count
        var fail = [Int32](repeating: 0, count: count)
        var outputLists = terminal
        // Breadth-first: a state's failure is the longest proper suffix that is a state.
        var queue: [Int32] = []
        queue.reserveCapacity(count)
        for (_, child) in children[0] { queue.append(child) }
        var head = 0
        while head < queue.count {
            let state = queue[head]
            head += 1
            for (label, child) in children[Int(state)] {
                var f = fail[Int(state)]
                while f != 0 && children[Int(f)][label] == nil { f = fail[Int(f)] }
                let target = children[Int(f)][label] ?? 0
                fail[Int(child)] = target == child ? 0 : target
                outputLists[Int(child)] += outputLists[Int(fail[Int(child)])]
                queue.append(child)
            }
        }
        var edgeStart: [Int32] = [0]
        var labels: [UInt8] = []
        var targets: [Int32] = []
        var outputStart: [Int32] = [0]
        var outputs: [Int32] = []
        for s in 0..<count {
            for (label, child) in children[s].sorted(by: { $0.key < $1.key }) {
                labels.append(label)
                targets.append(child)
            }
            edgeStart.append(Int32(labels.count))
            outputs += outputLists[s]
            outputStart.append(Int32(outputs.count))
        }
        var root = [Int32](repeating: 0, count: 256)
        for (label, child) in children[0] { root[Int(label)] = child }
        self.edgeStart = edgeStart
        self.labels = labels
        self.targets = targets
        self.failure = fail
        self.outputStart = outputStart
        self.outputs = outputs
        self.rootTable = root
    }

    @inline(__always)
    func next(_ state: Int32, _ label: UInt8) -> Int32 {
        var s = state
        while true {
            if s == 0 { return rootTable[Int(label)] }
            var lo = Int(edgeStart[Int(s)]), hi = Int(edgeStart[Int(s) + 1])
            while lo < hi {
                let mid = (lo + hi) >> 1
                let l = labels[mid]
                if l == label { return targets[mid] }
                if l < label { lo = mid + 1 } else { hi = mid }
            }
            s = failure[Int(s)]
        }
    }

    /// Scans `bytes`, noting every hit in `hits` (its end offset is one past the last byte,
    /// as Vectorscan reports it).
    func scan(_ bytes: UnsafeRawBufferPointer, hits: PrefilterHits) {
        var state: Int32 = 0
        for i in 0..<bytes.count {
            state = next(state, AhoCorasick.fold(bytes[i]))
            let from = Int(outputStart[Int(state)]), to = Int(outputStart[Int(state) + 1])
            guard from < to else { continue }
            for k in from..<to {
                let p = patterns[Int(outputs[k])]
                if !p.caseless {
                    // Confirm the case of a case-sensitive pattern.
                    let start = i + 1 - p.bytes.count
                    var same = true
                    for j in 0..<p.bytes.count where bytes[start + j] != p.bytes[j] {
                        same = false
                        break
                    }
                    if !same { continue }
                }
                hits.note(p.id, end: i + 1)
            }
        }
    }
}

/// A compiled set of literals with the matcher chosen for the rule set: what a rule group
/// scans one buffer with.
final class PatternDatabase: Sendable {
    enum Backend: Sendable {
        case vectorscan(VectorscanDatabase)
        case ahoCorasick(AhoCorasick)
    }
    let backend: Backend
    /// The largest pattern id plus one (the hit collector's stamp table must cover it).
    let idLimit: Int

    init(_ patterns: [PrefilterPattern], engine: PrefilterEngine) throws(PrefilterError) {
        switch engine {
        case .vectorscan: backend = .vectorscan(try VectorscanDatabase(patterns))
        case .ahoCorasick: backend = .ahoCorasick(AhoCorasick(patterns))
        }
        idLimit = Int(patterns.map(\.id).max() ?? 0) + 1
    }

    /// Bytes the compiled form takes (Vectorscan's database size; the automaton's arrays).
    var memoryBytes: Int {
        switch backend {
        case .vectorscan(let db): db.size
        case .ahoCorasick(let ac): ac.labels.count * 5 + ac.failure.count * 12 + ac.outputs.count * 4 + 1024
        }
    }

    @inline(__always)
    func scan(_ bytes: UnsafeRawBufferPointer, scratch: VectorscanScratch, hits: PrefilterHits) {
        switch backend {
        case .vectorscan(let db): db.scan(bytes, scratch: scratch, hits: hits)
        case .ahoCorasick(let ac): ac.scan(bytes, hits: hits)
        }
    }
}

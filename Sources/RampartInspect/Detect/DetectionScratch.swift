import RampartRules

/// One worker's working memory for detection, allocated when the worker adopts a rule set
/// and reused for every packet: prefilter scratch and hits, PCRE2 match data, byte
/// variables, the candidate list, the contiguous stream window, and an arena for buffers
/// built per inspection (transformed buffers, the normalised URI, header views).
///
/// A class so the scan callbacks and the evaluator can hold it without copying; owned by
/// one `Detector`, never shared between threads.
final class DetectionScratch {
    let set: DetectionRuleSet
    let vectorscan = VectorscanScratch()
    let hits: PrefilterHits
    let matchData = PCREMatchData()
    let inflater = BodyInflater()
    let variables: UnsafeMutablePointer<Int64>
    /// Rules to evaluate for one inspection (a rule has one fast pattern, so each appears
    /// once per inspection).
    let candidates: UnsafeMutablePointer<Int32>
    var candidateCount = 0
    /// Full evaluations per rule (what `rampart bench engine --rules` ranks).
    let evaluations: UnsafeMutablePointer<UInt32>
    /// The stream window: the previous data's tail followed by the new data.
    let window: UnsafeMutableRawPointer
    let windowCapacity: Int
    var windowLength = 0
    /// While the reassembler delivers one packet's stream data: the session direction's
    /// tail (copied to the window's start on the first delivery), and whether it was.
    var tapActive = false
    var tapTail: UnsafeRawPointer?
    var tapTailLength = 0
    var tapStarted = false
    /// Stream bytes that did not fit in the window (a very large hole filled at once).
    var tapOverflow = 0
    /// Bytes built for the current inspection (reset for each).
    let arena: UnsafeMutableRawPointer
    let arenaCapacity: Int
    var arenaUsed = 0
    /// The current inspection's buffers, by `InspectionBuffer` ordinal.
    let sourceBase: UnsafeMutablePointer<UnsafeRawPointer?>
    let sourceCount: UnsafeMutablePointer<Int>
    let sourceStamp: UnsafeMutablePointer<UInt32>
    /// Transformed buffers of the current inspection, by variant: offset in the arena, length.
    let variantOffset: UnsafeMutablePointer<Int>
    let variantLength: UnsafeMutablePointer<Int>
    let variantStamp: UnsafeMutablePointer<UInt32>
    var inspectionEpoch: UInt32 = 1

    static let bufferCount = InspectionBuffer.allCases.count

    init(set: DetectionRuleSet, windowCapacity: Int, arenaCapacity: Int = 256 << 10) {
        self.set = set
        hits = PrefilterHits(patternCapacity: set.maxPatterns)
        variables = .allocate(capacity: max(1, set.maxVariables))
        variables.initialize(repeating: 0, count: max(1, set.maxVariables))
        let rules = max(1, set.rules.count)
        candidates = .allocate(capacity: rules * 2)
        evaluations = .allocate(capacity: rules)
        evaluations.initialize(repeating: 0, count: rules)
        self.windowCapacity = windowCapacity
        window = .allocate(byteCount: max(1, windowCapacity), alignment: 16)
        self.arenaCapacity = arenaCapacity
        arena = .allocate(byteCount: arenaCapacity, alignment: 16)
        let n = DetectionScratch.bufferCount
        sourceBase = .allocate(capacity: n)
        sourceBase.initialize(repeating: nil, count: n)
        sourceCount = .allocate(capacity: n)
        sourceCount.initialize(repeating: 0, count: n)
        sourceStamp = .allocate(capacity: n)
        sourceStamp.initialize(repeating: 0, count: n)
        let v = max(1, set.variants.count)
        variantOffset = .allocate(capacity: v)
        variantOffset.initialize(repeating: 0, count: v)
        variantLength = .allocate(capacity: v)
        variantLength.initialize(repeating: 0, count: v)
        variantStamp = .allocate(capacity: v)
        variantStamp.initialize(repeating: 0, count: v)
        for db in set.databases {
            if case .vectorscan(let d) = db.backend { vectorscan.reserve(for: d) }
        }
    }

    deinit {
        variables.deallocate()
        candidates.deallocate()
        evaluations.deallocate()
        window.deallocate()
        arena.deallocate()
        sourceBase.deallocate()
        sourceCount.deallocate()
        sourceStamp.deallocate()
        variantOffset.deallocate()
        variantLength.deallocate()
        variantStamp.deallocate()
    }

    /// Appends delivered stream bytes to the window, after the tail.
    @inline(__always)
    func tapDeliver(_ bytes: UnsafeRawBufferPointer) {
        if !tapStarted {
            tapStarted = true
            windowLength = 0
            if let tail = tapTail, tapTailLength > 0 {
                window.copyMemory(from: tail, byteCount: tapTailLength)
                windowLength = tapTailLength
            }
        }
        let take = min(bytes.count, windowCapacity - windowLength)
        if take > 0 {
            (window + windowLength).copyMemory(from: bytes.baseAddress!, byteCount: take)
            windowLength += take
        }
        tapOverflow += bytes.count - take
    }

    /// Starts an inspection: no buffer is known, the arena is empty.
    @inline(__always)
    func beginInspection() {
        inspectionEpoch &+= 1
        if inspectionEpoch == 0 {
            sourceStamp.update(repeating: 0, count: DetectionScratch.bufferCount)
            variantStamp.update(repeating: 0, count: max(1, set.variants.count))
            inspectionEpoch = 1
        }
        arenaUsed = 0
    }

    @inline(__always)
    func setSource(_ buffer: InspectionBuffer, _ bytes: UnsafeRawBufferPointer) {
        let i = DetectionScratch.ordinal(buffer)
        sourceBase[i] = bytes.baseAddress.map { UnsafeRawPointer($0) }
        sourceCount[i] = bytes.count
        sourceStamp[i] = inspectionEpoch
    }

    @inline(__always)
    static func ordinal(_ buffer: InspectionBuffer) -> Int {
        // A case-only enum is stored as its declaration index (what `allCases` lists), so
        // this is the ordinal without hashing the raw string; DetectionTests checks it.
        Int(unsafeBitCast(buffer, to: UInt8.self))
    }

    @inline(__always)
    func source(_ buffer: InspectionBuffer) -> UnsafeRawBufferPointer? {
        let i = DetectionScratch.ordinal(buffer)
        guard sourceStamp[i] == inspectionEpoch else { return nil }
        return UnsafeRawBufferPointer(start: sourceBase[i], count: sourceCount[i])
    }

    /// Room for `count` bytes in the arena (nil when full: the buffer is then not there).
    @inline(__always)
    func reserve(_ count: Int) -> UnsafeMutableRawPointer? {
        guard arenaUsed + count <= arenaCapacity else { return nil }
        let p = arena + arenaUsed
        arenaUsed += count
        return p
    }

    /// The bytes a rule's inspection reads: its buffer in this inspection, transformed
    /// (once per inspection and variant). Nil when the buffer is absent.
    @inline(__always)
    func bytes(of variant: Int32) -> UnsafeRawBufferPointer? {
        let v = set.variants[Int(variant)]
        guard let base = source(v.buffer) else { return nil }
        if v.transforms.isEmpty { return base }
        let i = Int(variant)
        if variantStamp[i] == inspectionEpoch {
            return variantLength[i] < 0 ? nil : UnsafeRawBufferPointer(start: arena + variantOffset[i], count: variantLength[i])
        }
        variantStamp[i] = inspectionEpoch
        variantLength[i] = -1
        var input = base
        for t in v.transforms {
            let room = arenaCapacity - arenaUsed
            guard let out = reserve(0), let written = BufferTransformer.apply(t, input, into: out, capacity: room) else { return nil }
            arenaUsed += written
            input = UnsafeRawBufferPointer(start: out, count: written)
        }
        variantOffset[i] = UnsafeRawPointer(arena).distance(to: input.baseAddress ?? UnsafeRawPointer(arena))
        variantLength[i] = input.count
        return input
    }
}

import RampartWire
/// A preallocated pool of fixed-size chunks holding byte ranges of many streams or
/// datagrams. Each owner keeps a sorted, non-overlapping singly linked list of chunks
/// (its `head`); positions are plain `Int` offsets in the owner's own space (stream
/// offset or datagram offset), so wraparound never reaches this level.
///
/// Inserting keeps the first copy of every byte and reports whether an overlapping later
/// copy differed. Nothing here allocates after `init`.
///
/// ```swift
/// var store = SegmentStore(chunkSize: 512, chunkCount: 1024)
/// var head: Int32 = SegmentStore.end
/// let result = store.insert(bytes, at: 1000, into: &head, budget: 65536)
/// ```
struct SegmentStore: Sendable {
    /// The list terminator and "no chunk".
    static let end: Int32 = -1

    let chunkSize: Int
    var storage: [UInt8]
    /// Offset of each chunk's first byte in its owner's space.
    var starts: [Int]
    var lengths: [Int32]
    var next: [Int32]
    var freeHead: Int32
    private(set) var freeCount: Int

    struct InsertResult {
        /// Bytes newly stored.
        var added = 0
        /// An overlapping byte differed from the stored copy.
        var overlapDifferent = false
        /// Storing everything would have exceeded `budget`; stopped part-way.
        var overBudget = false
        /// The pool ran out of chunks; stopped part-way.
        var exhausted = false
    }

    init(chunkSize: Int, chunkCount: Int) {
        let chunkSize = max(1, chunkSize)
        let chunkCount = max(1, min(chunkCount, Int(Int32.max)))
        self.chunkSize = chunkSize
        storage = [UInt8](untouchedCount: chunkSize * chunkCount)
        starts = [Int](repeating: 0, count: chunkCount)
        lengths = [Int32](repeating: 0, count: chunkCount)
        next = (0..<chunkCount).map { $0 + 1 < chunkCount ? Int32($0 + 1) : Self.end }
        freeHead = 0
        freeCount = chunkCount
    }

    var chunkCount: Int { starts.count }

    /// Stores the bytes of `data` (which start at `start`) that no chunk of the list holds
    /// yet, comparing the rest with what is stored. At most `budget` new bytes.
    mutating func insert(_ data: UnsafeRawBufferPointer, at start: Int, into head: inout Int32, budget: Int) -> InsertResult {
        var result = InsertResult()
        guard let source = data.baseAddress, !data.isEmpty else { return result }
        let end = start + data.count
        var prev = Self.end
        var cur = head
        var pos = start
        while pos < end {
            while cur != Self.end && starts[Int(cur)] + Int(lengths[Int(cur)]) <= pos {
                prev = cur
                cur = next[Int(cur)]
            }
            if cur != Self.end && starts[Int(cur)] <= pos {
                let c = Int(cur)
                let overlapEnd = min(end, starts[c] + Int(lengths[c]))
                if !result.overlapDifferent {
                    let base = c * chunkSize + (pos - starts[c])
                    let count = overlapEnd - pos
                    let from = pos - start
                    storage.withUnsafeBytes { stored in
                        for k in 0..<count where stored[base + k] != data[from + k] {
                            result.overlapDifferent = true
                            break
                        }
                    }
                }
                pos = overlapEnd
                continue
            }
            let gapEnd = cur == Self.end ? end : min(end, starts[Int(cur)])
            while pos < gapEnd {
                let n = min(chunkSize, gapEnd - pos)
                if result.added + n > budget {
                    result.overBudget = true
                    return result
                }
                guard freeHead != Self.end else {
                    result.exhausted = true
                    return result
                }
                let chunk = freeHead
                let c = Int(chunk)
                freeHead = next[c]
                freeCount -= 1
                let from = pos - start
                storage.withUnsafeMutableBytes { stored in
                    stored.baseAddress!.advanced(by: c * chunkSize)
                        .copyMemory(from: source.advanced(by: from), byteCount: n)
                }
                starts[c] = pos
                lengths[c] = Int32(n)
                next[c] = cur
                if prev == Self.end { head = chunk } else { next[Int(prev)] = chunk }
                prev = chunk
                pos += n
                result.added += n
            }
        }
        return result
    }

    /// Unlinks the first chunk of the list and returns it to the pool.
    mutating func removeFirst(_ head: inout Int32) {
        guard head != Self.end else { return }
        let c = Int(head)
        head = next[c]
        next[c] = freeHead
        freeHead = Int32(c)
        freeCount += 1
    }

    /// Returns every chunk of the list to the pool.
    mutating func free(_ head: inout Int32) {
        while head != Self.end { removeFirst(&head) }
    }

    /// Copies the whole list into `destination` at each chunk's offset minus `origin`.
    /// The caller guarantees every chunk lies inside the destination.
    func copy(_ head: Int32, to destination: UnsafeMutableRawPointer, origin: Int) {
        var cur = head
        storage.withUnsafeBytes { stored in
            while cur != Self.end {
                let c = Int(cur)
                destination.advanced(by: starts[c] - origin)
                    .copyMemory(from: stored.baseAddress!.advanced(by: c * chunkSize), byteCount: Int(lengths[c]))
                cur = next[c]
            }
        }
    }
}

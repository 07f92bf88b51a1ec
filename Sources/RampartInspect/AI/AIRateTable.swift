/// Requests and tokens per identity per minute, for the abuse limits: a fixed table with
/// open addressing (`capacity` slots, allocated once). A slot whose minute has passed is
/// free again; when every slot of an identity's probe run holds another identity of the
/// current minute the table is full: the exchange is not counted, `full` is incremented
/// (the engine's metric) and `reportFull()` says once per minute that it should be logged.
struct AIRateTable: ~Copyable {
    struct Entry {
        var identity: UInt64
        var minute: Int64
        var requests: UInt32
        var tokens: UInt64
    }

    let capacity: Int
    let slots: UnsafeMutablePointer<Entry>
    private(set) var full: UInt64 = 0
    private var lastFullMinute: Int64 = -1
    private var reportedMinute: Int64 = -1
    static let probes = 16

    init(capacity: Int) {
        self.capacity = max(1, capacity)
        slots = .allocate(capacity: self.capacity)
        slots.initialize(repeating: Entry(identity: 0, minute: -1, requests: 0, tokens: 0), count: self.capacity)
    }

    deinit { slots.deallocate() }

    /// Counts one request and its tokens for `identity` in the minute of `seconds`; the
    /// minute's totals so far, or nil when the table is full.
    mutating func record(identity: UInt64, seconds: Int64, tokens: UInt64) -> (requests: UInt32, tokens: UInt64)? {
        let minute = seconds / 60
        var h = identity &* 0x9E37_79B9_7F4A_7C15
        h ^= h >> 29
        let start = Int(h % UInt64(capacity))
        var free = -1
        for p in 0..<min(AIRateTable.probes, capacity) {
            let i = (start + p) % capacity
            let e = slots[i]
            if e.minute == minute && e.identity == identity {
                slots[i].requests &+= 1
                slots[i].tokens &+= tokens
                return (slots[i].requests, slots[i].tokens)
            }
            if e.minute != minute && free < 0 { free = i }
        }
        guard free >= 0 else {
            full += 1
            lastFullMinute = minute
            return nil
        }
        slots[free] = Entry(identity: identity, minute: minute, requests: 1, tokens: tokens)
        return (1, tokens)
    }

    /// Adds tokens learnt later (the answer's usage) to the identity's current minute.
    mutating func addTokens(identity: UInt64, seconds: Int64, tokens: UInt64) -> UInt64? {
        let minute = seconds / 60
        var h = identity &* 0x9E37_79B9_7F4A_7C15
        h ^= h >> 29
        let start = Int(h % UInt64(capacity))
        for p in 0..<min(AIRateTable.probes, capacity) {
            let i = (start + p) % capacity
            if slots[i].minute == minute && slots[i].identity == identity {
                slots[i].tokens &+= tokens
                return slots[i].tokens
            }
        }
        return nil
    }

    /// True once per minute in which the table was full: the caller writes its log line.
    mutating func reportFull() -> Bool {
        guard lastFullMinute >= 0, lastFullMinute != reportedMinute else { return false }
        reportedMinute = lastFullMinute
        return true
    }
}

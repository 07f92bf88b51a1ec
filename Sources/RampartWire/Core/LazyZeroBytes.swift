extension Array where Element == UInt8 {
    /// `count` bytes for a preallocated pool whose bytes are always written before they are
    /// read (App-ID buffers, reassembly chunks): allocated without being filled, so the
    /// kernel hands out zero pages only when a page is first touched. `Array(repeating: 0)`
    /// would touch all of it at start-up: ~130 MB and 0.3 s before the first packet of
    /// every `rampart inspect`, however small the capture.
    @inlinable
    public init(untouchedCount count: Int) {
        self.init(unsafeUninitializedCapacity: count) { _, initialized in initialized = count }
    }
}

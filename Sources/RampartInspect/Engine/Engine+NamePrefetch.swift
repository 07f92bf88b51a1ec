extension Engine {
    /// Starts loading the indicator store's lines that processing `frame` will read for its
    /// DNS question name, and returns at once: a hint, with no effect on any verdict, state
    /// or statistic. For a worker holding a batch of packets: calling it for each packet of
    /// the batch before processing the first overlaps the memory misses of their lookups
    /// (at 1 M listed names and more a lookup is mostly one such miss) instead of paying
    /// them one after another.
    ///
    /// A bounded pre-parse, no allocation: Ethernet (one VLAN tag) or raw IP, IPv4 without
    /// fragments or IPv6 without extension headers, UDP to port 53, the first question's
    /// name read by `DNSQuestion.read` (as the DNS stage reads it) into a stack buffer,
    /// which the store hashes as `domain(_:)` will. Anything else returns without reading further. Only
    /// stores larger than the caches are prefetched for (`IndicatorStore.prefetchedTableBytes`);
    /// a smaller one's lines are in cache already and the pre-parse would only cost.
    ///
    /// ```swift
    /// for frame in batch { engine.prefetchNames(frame: frame, ethernet: true) }
    /// for frame in batch { _ = engine.process(frame: frame, linkType: .ethernet, ...) }
    /// ```
    public func prefetchNames(frame: UnsafeRawBufferPointer, ethernet: Bool) {
        guard let store = indicatorStore, store.prefetchesDomains else { return }
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: Self.prefetchNameCapacity) { name in
            let length = Self.queryName(in: frame, ethernet: ethernet, into: name)
            if length > 0 { store.prefetchDomain(UnsafeRawBufferPointer(start: name.baseAddress!, count: length)) }
        }
    }

    /// Room for the longest name `queryName` writes (255 bytes of wire name less one).
    public static let prefetchNameCapacity = DNSQuestion.nameCapacity

    /// The first question's name of the DNS query `frame` carries, as dotted text into
    /// `name` (at least `prefetchNameCapacity` bytes); returns its length, 0 when the frame
    /// is not a UDP query to port 53 this pre-parse reads (see `prefetchNames`) or is cut short.
    public static func queryName(in frame: UnsafeRawBufferPointer, ethernet: Bool, into name: UnsafeMutableBufferPointer<UInt8>) -> Int {
        guard frame.baseAddress != nil, name.count >= prefetchNameCapacity else { return 0 }
        let count = frame.count
        var at = 0
        var etherType = 0
        if ethernet {
            guard count >= 14 else { return 0 }
            etherType = Int(frame[12]) << 8 | Int(frame[13])
            at = 14
            if etherType == 0x8100 {
                guard count >= 18 else { return 0 }
                etherType = Int(frame[16]) << 8 | Int(frame[17])
                at = 18
            }
        } else {
            guard count >= 1 else { return 0 }
            etherType = frame[0] >> 4 == 6 ? 0x86DD : 0x0800
        }
        var udp: Int
        if etherType == 0x0800 {
            guard count >= at &+ 20, frame[at] >> 4 == 4, frame[at &+ 9] == 17 else { return 0 }
            // A later fragment carries no UDP header.
            guard frame[at &+ 6] & 0x1F == 0, frame[at &+ 7] == 0 else { return 0 }
            udp = at &+ Int(frame[at] & 0x0F) &* 4
        } else if etherType == 0x86DD {
            guard count >= at &+ 40, frame[at] >> 4 == 6, frame[at &+ 6] == 17 else { return 0 }
            udp = at &+ 40
        } else {
            return 0
        }
        guard count >= udp &+ 8, frame[udp &+ 2] == 0, frame[udp &+ 3] == 53 else { return 0 }
        // The DNS stage's own question reader: the same name, lower case, as it will look up.
        let message = UnsafeRawBufferPointer(rebasing: frame[(udp &+ 8)...])
        guard case .success(let question) = DNSQuestion.read(message, into: UnsafeMutableRawPointer(name.baseAddress!)),
              !question.isResponse, question.questionCount > 0
        else { return 0 }
        return question.nameLength
    }
}

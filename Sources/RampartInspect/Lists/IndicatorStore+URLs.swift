extension IndicatorStore {
    /// The listed URL entry for a request: the most specific listed host (the host itself or
    /// a parent, as for domains) that has a listed path prefix of the request's path, and
    /// there the longest prefix. No allocation: the path is normalised into `buffer`
    /// (`URLPathNormalizer`), only when some host level is listed at all.
    ///
    /// A listed path `P` matches a normalised request target `R` when `R` starts with `P`
    /// and the match ends at a boundary: `P` is all of `R`, `P` ends with `/`, or `R`
    /// continues with `/` or `?` (and with `&` inside the query). So `/ads` matches `/ads`,
    /// `/ads/x` and `/ads?id=1`, not `/adsense`.
    ///
    /// - Parameters:
    ///   - host: the host as sent (`Host` header, `:authority`, SNI); a port (`:8080`, or
    ///     after `]` for IPv6) and a trailing dot are ignored, ASCII case too.
    ///   - path: the request target's path and query (a fragment is ignored).
    ///   - buffer: the worker's normalisation memory.
    /// - Returns: the match, if any; `pathTooLong` when the normalised path did not fit in
    ///   `buffer` (no path entry could then be compared).
    public func url(host: UnsafeRawBufferPointer, path: UnsafeRawBufferPointer, buffer: inout URLPathBuffer) -> URLLookup {
        guard urlHosts.count > 0, let hostBase = host.baseAddress else {
            return URLLookup(match: nil, pathTooLong: false)
        }
        let hostLength = Self.hostLength(host)
        var end = hostLength
        if end > 0 && hostBase.load(fromByteOffset: end - 1, as: UInt8.self) == 0x2E { end -= 1 }
        guard end > 0 else { return URLLookup(match: nil, pathTooLong: false) }
        // Host levels, least specific first; each listed one tries its paths, and a deeper
        // host with a matching path replaces a shallower one.
        var normalizedLength = -1
        var best: IndicatorMatch?
        var state = seed
        var labels = 0
        var i = end
        while true {
            let atStart = i == 0
            let boundary = atStart || hostBase.load(fromByteOffset: i - 1, as: UInt8.self) == 0x2E
            if boundary && i < end {
                labels &+= 1
                let length = end &- i
                if urlHostDepths & (1 &<< UInt64(min(labels, 63))) != 0 && length <= DomainName.maximumLength,
                   let hostRecord = urlHosts.findName(hash: IndicatorHash.finish(state), hostBase + i, count: length)
                {
                    if normalizedLength == -1 {
                        normalizedLength = URLPathNormalizer.normalize(path, into: buffer.bytes) ?? -2
                    }
                    if normalizedLength < 0 { return URLLookup(match: nil, pathTooLong: true) }
                    if let match = longestPath(
                        UnsafeRawPointer(buffer.bytes.baseAddress!), count: normalizedLength, hostRecord: hostRecord,
                        isExactHost: length == end)
                    {
                        best = match
                    }
                }
            }
            if atStart { break }
            i &-= 1
            state = IndicatorHash.step(state, IndicatorHash.folded(hostBase.load(fromByteOffset: i, as: UInt8.self)))
        }
        return URLLookup(match: best, pathTooLong: false)
    }

    /// A URL entry if one matches (`url(host:path:buffer:)`), else the domain entry for the
    /// host (`domain(_:)`): the question a URL filtering profile asks of an HTTP request.
    public func classify(host: UnsafeRawBufferPointer, path: UnsafeRawBufferPointer, buffer: inout URLPathBuffer) -> URLLookup {
        let answer = url(host: host, path: path, buffer: &buffer)
        if answer.match != nil { return answer }
        guard let base = host.baseAddress, let hit = deepestName(base, count: Self.hostLength(host)) else { return answer }
        return URLLookup(
            match: IndicatorMatch(
                kind: .domain, attributes: names.attributes(at: hit.slot), entry: UInt32(truncatingIfNeeded: hit.slot),
                matchedLength: hit.length, isExact: hit.isExact),
            pathTooLong: answer.pathTooLong)
    }

    /// The host's length without a port: `example.com:8080` → 11, `[::1]:443` → 5.
    @inline(__always)
    static func hostLength(_ host: UnsafeRawBufferPointer) -> Int {
        let n = host.count
        guard n > 0 else { return 0 }
        if host[0] == 0x5B {
            var i = 1
            while i < n && host[i] != 0x5D { i &+= 1 }
            return i < n ? i + 1 : n
        }
        var i = n
        while i > 0 && host[i - 1] &- 0x30 < 10 { i &-= 1 }
        return i > 0 && host[i - 1] == 0x3A ? i - 1 : n
    }

    /// The longest listed path prefix of `path[0..<count]` under one host record.
    @inline(__always)
    func longestPath(_ path: UnsafeRawPointer, count: Int, hostRecord: UInt32, isExactHost: Bool) -> IndicatorMatch? {
        let limit = min(count, Int(urlHosts.value(at: hostRecord)))
        var state = IndicatorHash.pathStart(seed: seed, host: hostRecord)
        var inQuery = false
        var found: UInt32 = 0
        var foundLength = 0
        var k = 0
        while k < limit {
            let byte = path.load(fromByteOffset: k, as: UInt8.self)
            state = IndicatorHash.step(state, byte)
            if byte == 0x3F { inQuery = true }
            k &+= 1
            var boundary = k == count || byte == 0x2F
            if !boundary {
                let next = path.load(fromByteOffset: k, as: UInt8.self)
                boundary = next == 0x2F || next == 0x3F || (inQuery && next == 0x26)
            }
            if boundary,
               let offset = urlPaths.findPath(hash: IndicatorHash.finish(state), host: hostRecord, path, count: k)
            {
                found = offset
                foundLength = k
            }
        }
        guard foundLength > 0 else { return nil }
        return IndicatorMatch(
            kind: .url, attributes: urlPaths.value(at: found), entry: found, hostEntry: hostRecord,
            matchedLength: foundLength, isExact: isExactHost && foundLength == count)
    }
}

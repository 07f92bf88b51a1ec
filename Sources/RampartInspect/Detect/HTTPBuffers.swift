import RampartRules

/// Sets the HTTP sticky buffers of one message from its header block (and body), as
/// Suricata's HTTP keywords see them: raw views where the bytes are already right, built
/// ones (normalised URI, `http.header` without cookies, lower-cased host, header names) in
/// the worker's arena.
enum HTTPBuffers {
    static func fill(_ s: DetectionScratch, block: UnsafeRawBufferPointer, isResponse: Bool,
                     body: UnsafeRawBufferPointer?) {
        let fields = HTTPHeaderFields(block)
        guard let line = fields.startLine else { return }
        let lineStart = 0
        s.setSource(.httpStart, block)
        if isResponse {
            s.setSource(.httpResponseLine, line)
            // HTTP/1.1 200 OK
            var i = 0
            while i < line.count && line[i] != 0x20 { i += 1 }
            s.setSource(.httpProtocol, UnsafeRawBufferPointer(rebasing: line[0..<i]))
            let codeStart = min(line.count, i + 1)
            let codeEnd = min(line.count, codeStart + 3)
            s.setSource(.httpStatCode, UnsafeRawBufferPointer(rebasing: line[codeStart..<codeEnd]))
            let messageStart = min(line.count, codeEnd + 1)
            s.setSource(.httpStatMessage, UnsafeRawBufferPointer(rebasing: line[messageStart...]))
        } else if let parts = HTTPHeaderFields.requestLine(line) {
            s.setSource(.httpRequestLine, line)
            s.setSource(.httpMethod, UnsafeRawBufferPointer(rebasing: line[parts.method]))
            let target = UnsafeRawBufferPointer(rebasing: line[parts.target])
            s.setSource(.httpURIRaw, target)
            s.setSource(.httpProtocol, UnsafeRawBufferPointer(rebasing: line[parts.version]))
            if let out = s.reserve(target.count) {
                let n = URINormalizer.normalize(target, into: out)
                s.setSource(.httpURI, UnsafeRawBufferPointer(start: out, count: n))
            }
        }
        _ = lineStart
        // Raw headers: the lines after the start line, with the empty line.
        let headersStart = min(fields.headersStart, block.count)
        s.setSource(.httpHeaderRaw, UnsafeRawBufferPointer(rebasing: block[headersStart...]))
        // http.header: "Name: value\r\n" for each header but the cookies, then "\r\n";
        // http.header_names: "\r\nName\r\n...\r\n\r\n" (Suricata's layout).
        let headerOut = s.reserve(block.count + 4)
        var headerLength = 0
        let namesOut = s.reserve(block.count + 4)
        var namesLength = 0
        func put(_ p: UnsafeMutableRawPointer?, _ length: inout Int, _ b: UInt8) {
            p?.storeBytes(of: b, toByteOffset: length, as: UInt8.self)
            length += 1
        }
        func put(_ p: UnsafeMutableRawPointer?, _ length: inout Int, _ r: Range<Int>) {
            for k in r { put(p, &length, block[k]) }
        }
        if namesOut != nil { put(namesOut, &namesLength, 0x0D); put(namesOut, &namesLength, 0x0A) }
        let cookieName: StaticString = isResponse ? "set-cookie" : "cookie"
        fields.each { _, name, value in
            let bytes = UnsafeRawBufferPointer(rebasing: block[value])
            if HTTPHeaderFields.equalsLowercase(block, name, cookieName) {
                if s.source(.httpCookie) == nil { s.setSource(.httpCookie, bytes) }
            } else if headerOut != nil && headerLength + name.count + value.count + 4 <= block.count + 4 {
                put(headerOut, &headerLength, name)
                put(headerOut, &headerLength, UInt8(ascii: ":"))
                put(headerOut, &headerLength, 0x20)
                put(headerOut, &headerLength, value)
                put(headerOut, &headerLength, 0x0D)
                put(headerOut, &headerLength, 0x0A)
            }
            if namesOut != nil && namesLength + name.count + 4 <= block.count + 4 {
                put(namesOut, &namesLength, name)
                put(namesOut, &namesLength, 0x0D)
                put(namesOut, &namesLength, 0x0A)
            }
            for (header, buffer) in isResponse ? responseFields : requestFields
            where HTTPHeaderFields.equalsLowercase(block, name, header) && s.source(buffer) == nil {
                s.setSource(buffer, bytes)
            }
            return true
        }
        if let headerOut {
            put(headerOut, &headerLength, 0x0D)
            put(headerOut, &headerLength, 0x0A)
            s.setSource(.httpHeader, UnsafeRawBufferPointer(start: headerOut, count: headerLength))
        }
        if let namesOut {
            put(namesOut, &namesLength, 0x0D)
            put(namesOut, &namesLength, 0x0A)
            s.setSource(.httpHeaderNames, UnsafeRawBufferPointer(start: namesOut, count: namesLength))
        }
        if !isResponse, let host = s.source(.httpHostRaw), let out = s.reserve(host.count) {
            // http.host: lower case, without the port (Suricata's normalised host).
            var n = 0
            for b in host {
                if b == UInt8(ascii: ":") { break }
                out.storeBytes(of: ContentSearch.fold(b), toByteOffset: n, as: UInt8.self)
                n += 1
            }
            s.setSource(.httpHost, UnsafeRawBufferPointer(start: out, count: n))
        }
        if var body {
            // Content-Encoding gzip or deflate: the buffers hold the inflated content.
            if let encoding = fields.value(named: "content-encoding"), HTTPBuffers.isCompressed(encoding) {
                let room = min(64 << 10, s.arenaCapacity - s.arenaUsed)
                if room > 0, let out = s.reserve(0), let n = s.inflater.inflate(body, into: out, capacity: room) {
                    s.arenaUsed += n
                    body = UnsafeRawBufferPointer(start: out, count: n)
                }
            }
            s.setSource(isResponse ? .httpResponseBody : .httpRequestBody, body)
            s.setSource(.fileData, body)
        }
    }

    static func isCompressed(_ encoding: UnsafeRawBufferPointer) -> Bool {
        for word: StaticString in ["gzip", "deflate"] {
            let w = UnsafeRawBufferPointer(start: word.utf8Start, count: word.utf8CodeUnitCount)
            if ContentSearch.find(w, nocase: true, in: encoding, from: 0, to: encoding.count) != nil { return true }
        }
        return false
    }

    static let requestFields: [(StaticString, InspectionBuffer)] = [
        ("user-agent", .httpUserAgent), ("host", .httpHostRaw), ("accept", .httpAccept),
        ("accept-encoding", .httpAcceptEncoding), ("accept-language", .httpAcceptLanguage),
        ("connection", .httpConnection), ("content-type", .httpContentType),
        ("content-length", .httpContentLength), ("referer", .httpReferer),
    ]
    static let responseFields: [(StaticString, InspectionBuffer)] = [
        ("server", .httpServer), ("location", .httpLocation), ("connection", .httpConnection),
        ("content-type", .httpContentType), ("content-length", .httpContentLength),
    ]
}

/// Suricata's (libhtp's) normalised URI: `%XX` decoded (an invalid escape is kept as
/// written), then the path's dot segments removed as RFC 3986 (section 5.2.4) says, as
/// libhtp's `htp_normalize_uri_path_inplace` does; the path ends at the first `?` or `#`
/// sent as such, the query is kept (decoded). `http.uri.raw` keeps the bytes as sent.
enum URINormalizer {
    /// Writes the normalised form of `target` to `out` (at most `target.count` bytes).
    static func normalize(_ target: UnsafeRawBufferPointer, into out: UnsafeMutableRawPointer) -> Int {
        var n = 0
        var i = 0
        var pathEnd = -1
        let count = target.count
        while i < count {
            var b = target[i]
            if b == UInt8(ascii: "%"), i + 2 < count, let h = BufferTransformer.hexValue(target[i + 1]),
               let l = BufferTransformer.hexValue(target[i + 2]) {
                b = h << 4 | l
                i += 3
            } else {
                if pathEnd < 0 && (b == UInt8(ascii: "?") || b == UInt8(ascii: "#")) { pathEnd = n }
                i += 1
            }
            out.storeBytes(of: b, toByteOffset: n, as: UInt8.self)
            n += 1
        }
        if pathEnd < 0 { pathEnd = n }
        let path = removeDotSegments(out, count: pathEnd)
        if path < pathEnd { (out + path).copyMemory(from: out + pathEnd, byteCount: n - pathEnd) }
        return path + (n - pathEnd)
    }

    /// RFC 3986's remove_dot_segments over `out[0..<count]`, in place: the output (`w`)
    /// never passes the input (`r`), so a replacement the RFC writes into the input buffer
    /// (`/.` and `/..` at the end become `/`) is written at `r`, already read. Returns the
    /// length of the result.
    static func removeDotSegments(_ out: UnsafeMutableRawPointer, count: Int) -> Int {
        let slash = UInt8(ascii: "/"), dot = UInt8(ascii: ".")
        func at(_ k: Int) -> UInt8 { k < count ? out.load(fromByteOffset: k, as: UInt8.self) : 0 }
        var r = 0, w = 0
        func dropLastSegment() {
            while w > 0 && at(w - 1) != slash { w -= 1 }
            if w > 0 { w -= 1 }
        }
        while r < count {
            let rest = count - r
            if at(r) == dot && at(r + 1) == dot && at(r + 2) == slash {          // A: "../"
                r += 3
            } else if at(r) == dot && at(r + 1) == slash {                        // A: "./"
                r += 2
            } else if at(r) == slash && at(r + 1) == dot && at(r + 2) == slash {  // B: "/./"
                r += 2
            } else if rest == 2 && at(r) == slash && at(r + 1) == dot {           // B: "/." at the end
                r += 1
                out.storeBytes(of: slash, toByteOffset: r, as: UInt8.self)
            } else if at(r) == slash && at(r + 1) == dot && at(r + 2) == dot && at(r + 3) == slash {  // C: "/../"
                r += 3
                dropLastSegment()
            } else if rest == 3 && at(r) == slash && at(r + 1) == dot && at(r + 2) == dot {  // C: "/.." at the end
                r += 2
                out.storeBytes(of: slash, toByteOffset: r, as: UInt8.self)
                dropLastSegment()
            } else if (rest == 1 && at(r) == dot) || (rest == 2 && at(r) == dot && at(r + 1) == dot) {  // D
                r = count
            } else {                                                              // E: one segment
                repeat {
                    out.storeBytes(of: at(r), toByteOffset: w, as: UInt8.self)
                    w += 1
                    r += 1
                } while r < count && at(r) != slash
            }
        }
        return w
    }
}

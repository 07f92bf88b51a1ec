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

/// Suricata's (libhtp's) normalised URI, simplified: `%XX` decoded (an invalid escape is
/// kept as written), `/./` removed and `/../` resolved in the path, the query kept
/// (decoded). `http.uri.raw` keeps the bytes as sent.
enum URINormalizer {
    /// Writes the normalised form of `target` to `out` (at most `target.count` bytes).
    static func normalize(_ target: UnsafeRawBufferPointer, into out: UnsafeMutableRawPointer) -> Int {
        var n = 0
        var i = 0
        var inPath = true
        let count = target.count
        while i < count {
            var b = target[i]
            var raw = true
            if b == UInt8(ascii: "%"), i + 2 < count, let h = BufferTransformer.hexValue(target[i + 1]),
               let l = BufferTransformer.hexValue(target[i + 2]) {
                b = h << 4 | l
                i += 3
                raw = false
            } else {
                i += 1
            }
            if inPath && raw && (b == UInt8(ascii: "?") || b == UInt8(ascii: "#")) { inPath = false }
            out.storeBytes(of: b, toByteOffset: n, as: UInt8.self)
            n += 1
            // Resolve dot segments as they complete: ".../." or ".../.." followed by "/" or the end.
            if inPath && b == UInt8(ascii: "/") { n = resolveDots(out, n, atEnd: false) }
        }
        if inPath { n = resolveDots(out, n, atEnd: true) }
        return n
    }

    /// `out[0..<n]` ends with a separator (or is the whole path when `atEnd`): drop a final
    /// "/./" or resolve a final "/../".
    static func resolveDots(_ out: UnsafeMutableRawPointer, _ n: Int, atEnd: Bool) -> Int {
        func at(_ k: Int) -> UInt8 { out.load(fromByteOffset: k, as: UInt8.self) }
        let end = atEnd ? n : n - 1  // index of the separator, or one past the path
        // "/." before end
        if end >= 2 && at(end - 1) == UInt8(ascii: ".") && at(end - 2) == UInt8(ascii: "/") {
            let kept = end - 1  // keep the "/"
            if !atEnd { return kept }
            return kept
        }
        if end >= 3 && at(end - 1) == UInt8(ascii: ".") && at(end - 2) == UInt8(ascii: ".") && at(end - 3) == UInt8(ascii: "/") {
            var k = end - 3  // the "/" before ".."
            if k == 0 { return 1 }  // "/.." at the root stays "/"
            k -= 1
            while k > 0 && at(k) != UInt8(ascii: "/") { k -= 1 }
            return k + 1
        }
        return n
    }
}

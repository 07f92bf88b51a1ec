/// The server's leaf certificate from a TLS 1.2 (or earlier) handshake, collected from the
/// reassembled server stream into the session's message buffer, and its subject and issuer
/// in Suricata's form (`C=US, O=Example, CN=www.example.com`: each attribute `NAME=value`,
/// in certificate order, joined by ", "), for `tls.cert_subject` and `tls.cert_issuer`.
/// TLS 1.3 sends certificates encrypted: nothing is found there, as in Suricata.
enum TLSServerCertificate {
    enum Outcome {
        /// The handshake records so far end before the Certificate message is complete.
        case needMore
        /// No certificate will come (not TLS, a resumed or TLS 1.3 handshake, the buffer full).
        case none
        /// The certificate_list: each certificate's DER at its range of the handshake bytes,
        /// the leaf first.
        case chain(Range<Int>)
    }

    /// Collects the handshake messages of `records` (the server's stream from its start)
    /// into `out` and finds the Certificate message's first certificate.
    static func find(_ records: UnsafeRawBufferPointer, into out: UnsafeMutableRawPointer, capacity: Int)
        -> (outcome: Outcome, handshake: Int) {
        var i = 0
        var n = 0
        while i + 5 <= records.count {
            let type = records[i]
            let length = Int(records[i + 3]) << 8 | Int(records[i + 4])
            guard type == 22 else { return (.none, n) }  // not a handshake record: no certificate before it
            guard records[i + 1] == 3, length <= 18_432 else { return (.none, n) }
            guard i + 5 + length <= records.count else { break }
            guard n + length <= capacity else { return (.none, n) }
            if length > 0 { (out + n).copyMemory(from: records.baseAddress! + i + 5, byteCount: length) }
            n += length
            i += 5 + length
        }
        // Walk the handshake messages collected.
        let h = UnsafeRawBufferPointer(start: out, count: n)
        var k = 0
        while k + 4 <= n {
            let type = h[k]
            let length = Int(h[k + 1]) << 16 | Int(h[k + 2]) << 8 | Int(h[k + 3])
            if type == 11 {
                guard k + 4 + length <= n else { return (.needMore, n) }
                // certificate_list<0..2^24-1>, each ASN.1Cert<1..2^24-1>
                let body = k + 4
                guard length >= 6 else { return (.none, n) }
                return (.chain((body + 3)..<(k + 4 + length)), n)
            }
            if type == 14 || type == 12 || type == 13 { return (.none, n) }  // ServerHelloDone, key exchange: no certificate
            k += 4 + length
        }
        return (.needMore, n)
    }

    /// The certificates of a certificate_list (each `<1..2^24-1>` prefixed): their ranges,
    /// at most `limit` of them.
    static func certificates(_ h: UnsafeRawBufferPointer, in list: Range<Int>, limit: Int = 10) -> [Range<Int>] {
        var out: [Range<Int>] = []
        var at = list.lowerBound
        while at + 3 <= list.upperBound && out.count < limit {
            let length = Int(h[at]) << 16 | Int(h[at + 1]) << 8 | Int(h[at + 2])
            guard length > 0, at + 3 + length <= list.upperBound else { break }
            out.append((at + 3)..<(at + 3 + length))
            at += 3 + length
        }
        return out
    }

    /// One DER element: tag, contents range.
    static func element(_ b: UnsafeRawBufferPointer, _ at: inout Int, end: Int) -> (tag: UInt8, contents: Range<Int>)? {
        guard at + 2 <= end else { return nil }
        let tag = b[at]
        guard tag & 0x1F != 0x1F else { return nil }
        var length = Int(b[at + 1])
        var p = at + 2
        if length >= 0x80 {
            let count = length & 0x7F
            guard count >= 1, count <= 3, p + count <= end else { return nil }
            length = 0
            for _ in 0..<count { length = length << 8 | Int(b[p]); p += 1 }
        }
        guard p + length <= end else { return nil }
        at = p + length
        return (tag, p..<(p + length))
    }

    /// The subject's and issuer's ranges (each a SEQUENCE of RDNs) in a certificate's DER.
    static func names(_ der: UnsafeRawBufferPointer) -> (subject: Range<Int>, issuer: Range<Int>, serial: Range<Int>)? {
        var at = 0
        guard let certificate = element(der, &at, end: der.count), certificate.tag == 0x30 else { return nil }
        var c = certificate.contents.lowerBound
        guard let tbs = element(der, &c, end: certificate.contents.upperBound), tbs.tag == 0x30 else { return nil }
        var t = tbs.contents.lowerBound
        let end = tbs.contents.upperBound
        guard var item = element(der, &t, end: end) else { return nil }
        if item.tag == 0xA0 {
            guard let next = element(der, &t, end: end) else { return nil }
            item = next
        }
        guard item.tag == 0x02,
              let signature = element(der, &t, end: end), signature.tag == 0x30,
              let issuer = element(der, &t, end: end), issuer.tag == 0x30,
              let validity = element(der, &t, end: end), validity.tag == 0x30,
              let subject = element(der, &t, end: end), subject.tag == 0x30 else { return nil }
        return (subject.contents, issuer.contents, item.contents)
    }

    /// Writes a name (the contents of its RDN SEQUENCE) as `C=US, O=Example, CN=host` to
    /// `out`; the length written (nil when it does not fit or is malformed).
    static func write(name: Range<Int>, of der: UnsafeRawBufferPointer, into out: UnsafeMutableRawPointer, capacity: Int) -> Int? {
        var n = 0
        func put(_ byte: UInt8) -> Bool {
            guard n < capacity else { return false }
            out.storeBytes(of: byte, toByteOffset: n, as: UInt8.self)
            n += 1
            return true
        }
        func put(_ text: StaticString) -> Bool {
            let p = text.utf8Start
            for k in 0..<text.utf8CodeUnitCount where !put(p[k]) { return false }
            return true
        }
        var at = name.lowerBound
        var first = true
        var visited = 0
        while at < name.upperBound {
            visited += 1
            guard visited < 64, let set = element(der, &at, end: name.upperBound), set.tag == 0x31 else { return nil }
            var a = set.contents.lowerBound
            while a < set.contents.upperBound {
                guard let pair = element(der, &a, end: set.contents.upperBound), pair.tag == 0x30 else { return nil }
                var p = pair.contents.lowerBound
                guard let oid = element(der, &p, end: pair.contents.upperBound), oid.tag == 0x06,
                      let value = element(der, &p, end: pair.contents.upperBound) else { return nil }
                if !first { guard put(","), put(" ") else { return nil } }
                first = false
                guard writeName(of: UnsafeRawBufferPointer(rebasing: der[oid.contents]), put, put) else { return nil }
                guard put("=") else { return nil }
                for k in value.contents where !put(der[k]) { return nil }
            }
        }
        return n
    }

    /// The serial number as Suricata writes `tls.cert_serial`: its bytes in upper-case hex,
    /// separated by colons (`5C:19:B7:B1`).
    static func write(serial: Range<Int>, of der: UnsafeRawBufferPointer, into out: UnsafeMutableRawPointer, capacity: Int) -> Int? {
        let digits: StaticString = "0123456789ABCDEF"
        var n = 0
        for k in serial {
            guard n + 3 <= capacity else { return nil }
            if k > serial.lowerBound { out.storeBytes(of: UInt8(ascii: ":"), toByteOffset: n, as: UInt8.self); n += 1 }
            out.storeBytes(of: digits.utf8Start[Int(der[k] >> 4)], toByteOffset: n, as: UInt8.self)
            out.storeBytes(of: digits.utf8Start[Int(der[k] & 0xF)], toByteOffset: n + 1, as: UInt8.self)
            n += 2
        }
        return n
    }

    /// The short name of an attribute type, as x509-parser (Suricata 7's) abbreviates it, or
    /// the OID in dotted form.
    static func writeName(of oid: UnsafeRawBufferPointer, _ put: (StaticString) -> Bool, _ putByte: (UInt8) -> Bool) -> Bool {
        if oid.count == 3 && oid[0] == 0x55 && oid[1] == 0x04 {
            switch oid[2] {
            case 3: return put("CN")
            case 6: return put("C")
            case 7: return put("L")
            case 8: return put("ST")
            case 10: return put("O")
            case 11: return put("OU")
            case 5: return put("serialNumber")
            default: break
            }
        }
        let email: [UInt8] = [0x2A, 0x86, 0x48, 0x86, 0xF7, 0x0D, 0x01, 0x09, 0x01]
        if oid.elementsEqual(email) { return put("emailAddress") }
        let dc: [UInt8] = [0x09, 0x92, 0x26, 0x89, 0x93, 0xF2, 0x2C, 0x64, 0x01, 0x19]
        if oid.elementsEqual(dc) { return put("DC") }
        // Dotted: the first byte is 40 × first arc + second, then base-128 arcs.
        func number(_ v: UInt64) -> Bool {
            var digits: [UInt8] = []
            var x = v
            repeat { digits.append(UInt8(x % 10) + 0x30); x /= 10 } while x > 0
            for d in digits.reversed() where !putByte(d) { return false }
            return true
        }
        guard let head = oid.first else { return false }
        guard number(UInt64(min(head / 40, 2))), putByte(0x2E), number(UInt64(head) - UInt64(min(head / 40, 2)) * 40) else { return false }
        var arc: UInt64 = 0
        for b in oid.dropFirst() {
            arc = arc << 7 | UInt64(b & 0x7F)
            if b & 0x80 == 0 {
                guard putByte(0x2E), number(arc) else { return false }
                arc = 0
            }
        }
        return true
    }
}

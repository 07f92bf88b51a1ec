/// The leaf certificate's subject common name, by a minimal, bounded DER walk.
///
/// Certificate ::= SEQUENCE { tbsCertificate SEQUENCE { [0] version OPTIONAL, serialNumber,
/// signature, issuer, validity, subject, ... } ...}. Only those six elements are stepped
/// over, each by its length: no recursion, no more than a fixed number of RDNs visited.
///
/// ```swift
/// TLSCertificate.subjectCommonName(der)   // "kube-apiserver"
/// ```
enum TLSCertificate {
    /// One DER element: its tag and the bytes of its contents.
    private struct Element {
        var tag: UInt8
        var contents: UnsafeRawBufferPointer
    }

    /// Reads one TLV; `nil` for high tag numbers, indefinite or oversize lengths, or overrun.
    private static func element(_ c: inout ProbeCursor) -> Element? {
        guard let tag = c.u8(), tag & 0x1F != 0x1F, let first = c.u8() else { return nil }
        var length = 0
        if first < 0x80 {
            length = Int(first)
        } else {
            let count = Int(first & 0x7F)
            guard count >= 1, count <= 3 else { return nil }   // DER certs are < 16 MB
            for _ in 0..<count {
                guard let b = c.u8() else { return nil }
                length = length << 8 | Int(b)
            }
        }
        guard let contents = c.take(length) else { return nil }
        return Element(tag: tag, contents: contents)
    }

    /// The subject's CN (OID 2.5.4.3), sanitised and at most 256 bytes; `nil` when absent
    /// or the DER is malformed or cut short.
    static func subjectCommonName(_ der: UnsafeRawBufferPointer) -> String? {
        var outer = ProbeCursor(der)
        guard let certificate = element(&outer), certificate.tag == 0x30 else { return nil }
        var c = ProbeCursor(certificate.contents)
        guard let tbs = element(&c), tbs.tag == 0x30 else { return nil }
        var t = ProbeCursor(tbs.contents)
        guard var item = element(&t) else { return nil }
        if item.tag == 0xA0 {   // explicit version
            guard let next = element(&t) else { return nil }
            item = next
        }
        guard item.tag == 0x02 else { return nil }   // serialNumber
        guard let signature = element(&t), signature.tag == 0x30,
              let issuer = element(&t), issuer.tag == 0x30,
              let validity = element(&t), validity.tag == 0x30,
              let subject = element(&t), subject.tag == 0x30 else { return nil }
        var rdns = ProbeCursor(subject.contents)
        var visited = 0
        while !rdns.isAtEnd, visited < 32 {
            visited += 1
            guard let set = element(&rdns), set.tag == 0x31 else { return nil }
            var attributes = ProbeCursor(set.contents)
            while !attributes.isAtEnd, visited < 64 {
                visited += 1
                guard let pair = element(&attributes), pair.tag == 0x30 else { return nil }
                var p = ProbeCursor(pair.contents)
                guard let oid = element(&p), oid.tag == 0x06, let value = element(&p) else { return nil }
                let cn: [UInt8] = [0x55, 0x04, 0x03]
                if oid.contents.elementsEqual(cn) {
                    // UTF8String, PrintableString, IA5String, T61String, BMPString: all shown sanitised.
                    return ProbeText.printable(value.contents, limit: 256)
                }
            }
        }
        return nil
    }
}

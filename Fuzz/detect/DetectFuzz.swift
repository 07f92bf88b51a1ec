// libFuzzer target for the signature matcher's evaluation: one rule (the bytes before the
// first NUL, as a rule's options) compiled for the engine, then run over the rest of the
// bytes as its buffer: every keyword's evaluation (content windows and backtracking, pcre,
// byte_test/jump/extract/math, isdataat, bsize, transforms) must never trap, whatever the
// rule's numbers and the buffer's bytes. The same bytes also go through the HTTP/1 parser
// (as a request and as a response, byte by byte and whole), the HTTP buffers and URI
// normaliser, the DNS query reader, the TLS certificate reader and the body inflater. Built by Fuzz/detect/build.sh as one module with
// RampartWire, RampartRules and the matcher's folder of RampartInspect; the prefilter is the
// pure-Swift Aho-Corasick one (Vectorscan is not linked into the fuzzer).

@_cdecl("LLVMFuzzerTestOneInput")
public func detectFuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    let split = bytes.firstIndex(of: 0) ?? bytes.count
    let options = String(decoding: bytes[0..<split], as: UTF8.self)
    let buffer = split < bytes.count ? Array(bytes[(split + 1)...]) : []
    let protocols = ["tcp", "http", "dns", "tls", "udp"]
    let proto = protocols[size % protocols.count]
    var loader = RuleSetLoader()
    loader.add(rule: "alert \(proto) any any -> any any (msg:\"f\"; \(options) sid:1;)", location: RuleLocation(file: "f", line: 1))
    let (set, _) = loader.finish()
    if let compiled = try? DetectionRuleSet(set, engine: .ahoCorasick), let r = compiled.rules.first {
        let scratch = DetectionScratch(set: compiled, windowCapacity: 64)
        buffer.withUnsafeBytes { b in
            scratch.beginInspection()
            for insp in r.rule.inspections { scratch.setSource(insp.buffer, b) }
            for (i, insp) in r.rule.inspections.enumerated() {
                guard let view = scratch.bytes(of: r.variants[i]) else { continue }
                var e = InspectionEvaluator(steps: insp.steps, programs: r.programs[i], buffer: view, set: compiled,
                                            matchData: scratch.matchData, variables: scratch.variables, budget: 3000)
                _ = e.run()
            }
            for db in compiled.databases {
                scratch.hits.begin(minimumEnd: 0)
                db.scan(b, scratch: scratch.vectorscan, hits: scratch.hits)
            }
        }
    }
    // HTTP: as a request and a response, whole and one byte at a time, into a small buffer.
    let probe = DetectionRuleSet.empty
    let scratch = DetectionScratch(set: probe, windowCapacity: 64, arenaCapacity: 1 << 16)
    let capacity = 512
    let message = UnsafeMutableRawPointer.allocate(byteCount: capacity, alignment: 16)
    defer { message.deallocate() }
    for isResponse in [false, true] {
        for step in [bytes.count, 1] where step > 0 {
            var parser = HTTPMessageParser(isResponse: isResponse)
            var offset = 0
            while offset < bytes.count {
                let end = min(bytes.count, offset + step)
                var input = UnsafeRawBufferPointer(rebasing: UnsafeRawBufferPointer(start: data, count: size)[offset..<end])
                var guardRounds = 0
                while !input.isEmpty && guardRounds < 10_000 {
                    guardRounds += 1
                    let (consumed, event) = parser.advance(input, buffer: message, capacity: capacity)
                    precondition(consumed >= 0 && consumed <= input.count)
                    precondition(parser.length <= capacity && parser.headerEnd <= parser.length)
                    input = UnsafeRawBufferPointer(rebasing: input[consumed...])
                    if event != nil {
                        scratch.beginInspection()
                        let block = UnsafeRawBufferPointer(start: message, count: parser.headerEnd)
                        let body = UnsafeRawBufferPointer(start: message + parser.headerEnd, count: parser.length - parser.headerEnd)
                        HTTPBuffers.fill(scratch, block: block, isResponse: isResponse, body: body)
                    }
                    if consumed == 0 && event == nil { break }
                }
                offset = end
            }
        }
    }
    bytes.withUnsafeBytes { b in
        var out = [UInt8](repeating: 0, count: max(1, b.count) + 256)
        out.withUnsafeMutableBytes { o in
            precondition(URINormalizer.normalize(b, into: o.baseAddress!) <= b.count)
            if let n = DNSQueryName.read(b, into: o.baseAddress!) { precondition(n <= 255) }
        }
        // The bytes as a server's TLS records: the certificate chain, its names.
        let handshake = UnsafeMutableRawPointer.allocate(byteCount: 4096, alignment: 16)
        defer { handshake.deallocate() }
        if case .chain(let list) = TLSServerCertificate.find(b, into: handshake, capacity: 4096).outcome {
            let h = UnsafeRawBufferPointer(start: handshake, count: list.upperBound)
            for range in TLSServerCertificate.certificates(h, in: list) {
                let der = UnsafeRawBufferPointer(rebasing: h[range])
                if let names = TLSServerCertificate.names(der) {
                    let text = UnsafeMutableRawPointer.allocate(byteCount: 512, alignment: 16)
                    defer { text.deallocate() }
                    if let n = TLSServerCertificate.write(name: names.subject, of: der, into: text, capacity: 512) { precondition(n <= 512) }
                }
            }
        }
        // The bytes as a DER certificate, and as a compressed body.
        if let names = TLSServerCertificate.names(b) {
            precondition(names.subject.upperBound <= b.count && names.issuer.upperBound <= b.count)
        }
        let inflated = UnsafeMutableRawPointer.allocate(byteCount: 4096, alignment: 16)
        defer { inflated.deallocate() }
        if let n = scratch.inflater.inflate(b, into: inflated, capacity: 4096) { precondition(n <= 4096) }
    }
    return 0
}

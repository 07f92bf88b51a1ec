// libFuzzer target for the policy language: the YAML reader, the loader's validation, the
// tag file reader, and — for inputs that load — compiling and querying the matcher.
// Built by Fuzz/policy/build.sh as one module together with RampartWire and RampartPolicy
// (so `import RampartWire` in those files is a same-module import).

@_cdecl("LLVMFuzzerTestOneInput")
public func policyLoaderFuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let text = String(decoding: UnsafeBufferPointer(start: data, count: size), as: UTF8.self)
    if let doc = try? PolicyLoader.load(yaml: text, file: "fuzz.yaml") {
        if let m = try? PolicyMatcher(doc, tags: doc.addressTags) {
            let a = IPAddress(ipv4: 0x0A00_0001), b = IPAddress(high: 0xFD00_0000_0000_0000, low: 1)
            for (i, p) in [IPProtocol.tcp, .udp, .icmp, .sctp].enumerated() {
                _ = m.decide(PolicyQuery(source: a, destination: b, ipProtocol: p, destinationPort: UInt16(i * 80)))
                _ = m.decide(PolicyQuery(source: b, destination: a, ipProtocol: p, destinationPort: 443,
                                         application: ApplicationID(rawValue: UInt16(i))))
            }
            for (address, tags) in doc.addressTags.prefix(8) {
                m.setTags(tags.reversed(), for: address)
                m.removeTags(for: address)
            }
        }
    }
    _ = try? TagFile.load(yaml: text, file: "fuzz.yaml")
    _ = try? TagExpression.parse(text)
    return 0
}

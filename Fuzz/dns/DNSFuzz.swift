// libFuzzer target for the DNS security stage (issue 14). Built by Fuzz/dns/build.sh as one
// module with RampartWire, RampartInspect/Lists and RampartInspect/DNSSecurity. The first
// input byte picks the case; the rest is the data. Properties checked:
//   - DNSQuestion.read never traps; a name it returns fits its buffer, is lower-case, and
//     its question ends inside the message;
//   - DNSAnswerRewrite.rewrite never traps; a rewritten message keeps its length, its first
//     question, and changes only bytes of A/AAAA addresses (4 or 16 at planned offsets);
//   - DGAModel.parse never traps and refuses with a line inside the text; the built-in
//     model scores any bytes within 0...1;
//   - RegistrableDomain's ranges lie inside the name, the label inside the registrable part;
//   - the tunnelling table, fed any sequence, never holds more parents than its capacity.


let nameBuffer = UnsafeMutableRawPointer.allocate(byteCount: DNSQuestion.nameCapacity, alignment: 8)
let sinkhole4 = IPAddress(ipv4: 0xC612_0001)
let sinkhole6 = IPAddress("fd00::5:1")!

func question(_ bytes: [UInt8]) {
    bytes.withUnsafeBytes { raw in
        guard case .success(let q) = DNSQuestion.read(raw, into: nameBuffer) else { return }
        precondition(q.nameLength <= 253 && q.end <= raw.count && q.end >= 17)
        for i in 0..<q.nameLength {
            let c = nameBuffer.load(fromByteOffset: i, as: UInt8.self)
            precondition(!(c >= 0x41 && c <= 0x5A), "upper case left in the name")
        }
    }
}

func rewrite(_ bytes: [UInt8]) {
    var message = bytes
    var plan = DNSAnswerRewrite()
    let outcome = message.withUnsafeBytes {
        plan.plan(frame: $0, messageOffset: 0, length: $0.count, ipv4: sinkhole4, ipv6: sinkhole6)
    }
    guard case .success(.records) = outcome else { return }
    message.withUnsafeMutableBytes { plan.apply(to: $0) }
    precondition(message.count == bytes.count)
    var allowed = Set<Int>()
    for at in plan.ipv4Offsets { for k in 0..<4 { allowed.insert(at + k) } }
    for at in plan.ipv6Offsets { for k in 0..<16 { allowed.insert(at + k) } }
    for i in 0..<message.count where message[i] != bytes[i] {
        precondition(allowed.contains(i), "byte \(i) changed outside an address")
    }
    for at in plan.ipv4Offsets { precondition(at >= 12 && at + 4 <= message.count) }
    for at in plan.ipv6Offsets { precondition(at >= 12 && at + 16 <= message.count) }
}

func model(_ bytes: [UInt8]) {
    let text = String(decoding: bytes, as: UTF8.self)
    if case .failure(let problem) = DGAModel.parse(text) {
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false).count
        precondition(problem.line >= 1 && problem.line <= lines, "line \(problem.line) of \(lines)")
    }
    if let builtIn = DGAModel.builtIn {
        let score = bytes.withUnsafeBytes { builtIn.score(label: $0) }
        precondition(score >= 0 && score <= 1 && !score.isNaN)
    }
}

func registrable(_ bytes: [UInt8]) {
    bytes.withUnsafeBytes { raw in
        let parts = RegistrableDomain(raw)
        precondition(parts.registrable.lowerBound >= 0 && parts.registrable.upperBound <= raw.count)
        precondition(parts.label.lowerBound >= parts.registrable.lowerBound && parts.label.upperBound <= parts.registrable.upperBound)
    }
}

func tunnels(_ bytes: [UInt8]) {
    var table = DNSTunnelTable(capacity: 16)
    var setting = DNSTunnellingSetting(action: .block)
    setting.queriesPerMinute = 20
    setting.uniqueSubdomainsPerMinute = 10
    var i = 0
    while i + 3 <= bytes.count {
        let parent = UInt64(bytes[i] & 0x3F) &* 0x9E37_79B9_7F4A_7C15
        _ = table.record(parent: parent, name: UInt64(bytes[i + 1]), minute: Int64(bytes[i + 2] >> 4),
                         isTXTOrNULL: bytes[i + 2] & 1 != 0, suspicious: bytes[i + 2] & 2 != 0, setting: setting)
        precondition(table.count <= table.capacity)
        i += 3
    }
    bytes.withUnsafeBytes { raw in
        _ = DNSTunnelTable.isSuspicious(subdomain: raw, longestLabel: raw.count, setting: setting)
        let bits = ByteEntropy.of(raw, count: raw.count)
        precondition(bits >= 0 && bits <= 8.000001)
    }
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    guard size > 0 else { return 0 }
    let bytes = Array(UnsafeBufferPointer(start: data + 1, count: size - 1))
    switch data[0] % 5 {
    case 0: question(bytes)
    case 1: rewrite(bytes)
    case 2: model(bytes)
    case 3: registrable(bytes)
    default: tunnels(bytes)
    }
    return 0
}

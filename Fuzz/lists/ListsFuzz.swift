// libFuzzer target for the indicator lists (issue 14): the list loaders (plain, hosts, CSV),
// the name and URL normal forms, and the store's lookups on hostile bytes. Built by
// Fuzz/lists/build.sh as one module with Sources/RampartWire and Sources/RampartInspect/Lists.
// The first input byte picks the case; the rest is the data. Properties checked:
//   - no loader traps; every refusal names a line of the input and has a reason;
//   - what a plain list of domains accepted, the built store answers exactly;
//   - the path normal form is a fixed point, starts with '/', has no '.', '..' or empty
//     segment, never needs more than 3n + 1 bytes, and a lookup by the raw path finds what
//     a lookup by its normal form finds;
//   - a parsed URL, once stored, is found by its own host and path (exactly);
//   - the name normal form is a fixed point; Punycode decodes what it encodes;
//   - lookups of arbitrary bytes (names, hosts, paths, a tiny path buffer) never trap.

func lines(_ bytes: [UInt8]) -> Int { bytes.reduce(1) { $0 + ($1 == 10 ? 1 : 0) } }

func checkReport(_ report: IndicatorListReport, _ bytes: [UInt8]) {
    let count = lines(bytes)
    for rejection in report.rejections {
        precondition(rejection.line >= 1 && rejection.line <= count, "refusal at line \(rejection.line) of \(count)")
        precondition(!rejection.problem.message.isEmpty && !rejection.problem.name.isEmpty)
    }
    precondition(report.rejections.count <= report.rejected)
    precondition(report.added + report.alreadyListed == report.accepted)
}

func load(_ bytes: [UInt8], _ format: IndicatorListFormat, _ content: IndicatorListContent, limit: Int = 10_000)
    -> (IndicatorStoreBuilder, IndicatorListReport?)
{
    var builder = IndicatorStoreBuilder(maximumEntries: limit, seed: 0x5EED)
    let list = IndicatorList(file: "fuzz", format: format, content: content, category: "fuzz")
    do {
        let report = try bytes.withBytes { bytes throws(IndicatorListLoadError) in
            try IndicatorListLoader.load(bytes, list, into: &builder)
        }
        checkReport(report, bytes)
        return (builder, report)
    } catch {
        // Only a full store stops a load.
        guard case .full = error.error else { fatalError("load failed: \(error)") }
        return (builder, nil)
    }
}

func checkDomainList(_ bytes: [UInt8]) {
    let (builder, report) = load(bytes, .plain, .domains)
    guard report != nil else { return }
    let store = builder.build()
    var normal: [UInt8] = []
    for line in bytes.split(separator: 10, omittingEmptySubsequences: true) {
        let accepted = Array(line).withUnsafeBytes { raw in
            let entry = ListLines.withoutComment(raw)
            return !entry.isEmpty && !entry.contains(where: ListLines.isSpace) && !ListLines.looksLikeAddress(entry)
                && !entry.contains(0x2F) && DomainName.normalize(entry, into: &normal) == nil
        }
        guard accepted else { continue }
        guard let match = normal.withUnsafeBytes({ store.domain($0) }) else {
            fatalError("accepted \(String(decoding: normal, as: UTF8.self)) is not found")
        }
        precondition(match.isExact && store.text(of: match) == String(decoding: normal, as: UTF8.self))
    }
}

func checkPath(_ bytes: [UInt8]) {
    let once = URLPathNormalizer.normalized(bytes)
    precondition(once.count <= 3 * bytes.count + 1, "normal form longer than 3n + 1")
    precondition(once.first == UInt8(ascii: "/"))
    precondition(URLPathNormalizer.normalized(once) == once, "not a fixed point")
    let pathPart = once.prefix { $0 != UInt8(ascii: "?") }
    for segment in pathPart.split(separator: UInt8(ascii: "/"), omittingEmptySubsequences: false).dropFirst().dropLast() {
        precondition(!segment.isEmpty && segment.elementsEqual([0x2E]) == false && segment.elementsEqual([0x2E, 0x2E]) == false,
                     "a dot or empty segment survived")
    }
    // A store with the normal form listed finds it from the raw path.
    var builder = IndicatorStoreBuilder(seed: 1)
    let attributes = try! builder.attributes(categories: [builder.category("c")], sources: [builder.source("s")])
    guard once.count <= ListedURL.maximumPathLength else { return }
    _ = try! builder.addURL(ListedURL(host: Array("example.com".utf8), path: once), attributes: attributes)
    let store = builder.build()
    var buffer = URLPathBuffer(capacity: 3 * bytes.count + 16)
    let answer = Array("example.com".utf8).withUnsafeBytes { host in
        bytes.withUnsafeBytes { store.url(host: host, path: $0, buffer: &buffer) }
    }
    precondition(answer.match?.isExact == true, "the raw path does not find its own normal form")
}

func checkURL(_ bytes: [UInt8]) {
    guard case .success(let url) = bytes.withUnsafeBytes({ ListedURL.parse($0) }) else { return }
    var builder = IndicatorStoreBuilder(seed: 2)
    let attributes = try! builder.attributes(categories: [builder.category("c")], sources: [builder.source("s")])
    _ = try! builder.addURL(url, attributes: attributes)
    let store = builder.build()
    var buffer = URLPathBuffer()
    let answer = url.host.withUnsafeBytes { host in url.path.withUnsafeBytes { store.url(host: host, path: $0, buffer: &buffer) } }
    precondition(answer.match?.isExact == true, "a stored URL is not found by itself: \(url.hostText)\(url.pathText)")
}

func checkName(_ bytes: [UInt8]) {
    var normal: [UInt8] = []
    guard bytes.withUnsafeBytes({ DomainName.normalize($0, into: &normal) }) == nil else { return }
    var again: [UInt8] = []
    precondition(normal.withUnsafeBytes { DomainName.normalize($0, into: &again) } == nil && again == normal, "not a fixed point")
    if let text = String(validating: bytes, as: UTF8.self) {
        let scalars = Array(text.unicodeScalars.prefix(64))
        if let encoded = Punycode.encode(scalars) {
            var original = ""
            original.unicodeScalars.append(contentsOf: scalars)
            precondition(Punycode.decode(encoded) == original, "Punycode round trip")
        }
        _ = Punycode.decode(text)
    }
}

/// A store with a few names, URLs and prefixes, queried with the input as every kind of key.
let fixedStore: IndicatorStore = {
    var builder = IndicatorStoreBuilder(seed: 3)
    let a = try! builder.attributes(categories: [builder.category("c")], sources: [builder.source("s")])
    for name in ["example.com", "a.b.example.com", "xn--bcher-kva.example", "com", String(repeating: "l", count: 40) + ".test"] {
        try! builder.addDomain(name, attributes: a)
    }
    for url in ["example.com/", "example.com/a/b/", "example.com/p?q=1", "b.example.com/x%2Fy"] { try! builder.addURL(url, attributes: a) }
    return builder.build()
}()

func checkLookups(_ bytes: [UInt8]) {
    bytes.withUnsafeBytes { raw in
        let single = fixedStore.domain(raw)
        if let m = single { _ = fixedStore.text(of: m) }
        // The batched lookup (prefetching the next names' lines) answers as the single one,
        // for the input alone and for each of its dot-separated suffixes in one batch.
        var suffixes: [UnsafeRawBufferPointer] = [raw]
        for (i, byte) in raw.enumerated() where byte == 0x2E { suffixes.append(UnsafeRawBufferPointer(rebasing: raw[(i + 1)...])) }
        var answers = [IndicatorMatch?](repeating: nil, count: suffixes.count)
        suffixes.withUnsafeBufferPointer { q in answers.withUnsafeMutableBufferPointer { fixedStore.domains(q, into: $0) } }
        var grouped = answers
        suffixes.withUnsafeBufferPointer { q in grouped.withUnsafeMutableBufferPointer { fixedStore.domainsGrouped(q, into: $0) } }
        for (k, suffix) in suffixes.enumerated() {
            precondition(answers[k] == fixedStore.domain(suffix), "the batched lookup answered otherwise")
            precondition(grouped[k] == fixedStore.domain(suffix), "the grouped lookup answered otherwise")
        }
        let split = raw.firstIndex(of: 0x2F) ?? raw.count
        let host = UnsafeRawBufferPointer(rebasing: raw[..<split])
        let path = UnsafeRawBufferPointer(rebasing: raw[split...])
        var small = URLPathBuffer(capacity: 16)
        var large = URLPathBuffer()
        let a = fixedStore.classify(host: host, path: path, buffer: &small)
        let b = fixedStore.classify(host: host, path: path, buffer: &large)
        if !a.pathTooLong { precondition(a == b, "the buffer's size changed an answer") }
        if let m = b.match { _ = fixedStore.text(of: m) }
    }
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    guard size > 0 else { return 0 }
    let mode = data[0]
    let bytes = Array(UnsafeBufferPointer(start: data + 1, count: size - 1))
    switch mode % 8 {
    case 0: checkDomainList(bytes)
    case 1: _ = load(bytes, .plain, .any, limit: 50)
    case 2: _ = load(bytes, .hosts, .domains)
    case 3: _ = load(bytes, .csv, .any)
    case 4: checkPath(bytes)
    case 5: checkURL(bytes)
    case 6: checkName(bytes)
    default: checkLookups(bytes)
    }
    if mode >= 0x80 { _ = bytes.withUnsafeBytes { IndicatorListFormat.guess(fileName: "fuzz", bytes: $0) } }
    return 0
}

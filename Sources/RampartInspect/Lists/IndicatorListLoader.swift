/// Loads lists into an `IndicatorStoreBuilder`. Pure: it takes the bytes; reading files
/// and folders is the caller's (the CLI, the data plane).
///
/// Every bad line is refused with its `FILE:LINE`, what it said and what was expected
/// (`IndicatorListRejection`), counted, and skipped; the rest of the list loads. Only the
/// store refusing an entry (full, most often) stops a load, as an error naming the line.
///
/// ```swift
/// var builder = IndicatorStoreBuilder()
/// let list = IndicatorList(file: "malware.txt", format: .plain, category: "malware")
/// let report = try bytes.withUnsafeBytes { try IndicatorListLoader.load($0, list, into: &builder) }
/// print(report.accepted, report.rejected)
/// ```
public enum IndicatorListLoader {
    public static let maximumLineLength = 4096

    public static func load(_ bytes: UnsafeRawBufferPointer, _ list: IndicatorList, into builder: inout IndicatorStoreBuilder)
        throws(IndicatorListLoadError) -> IndicatorListReport
    {
        var loading = ListLoading(list: list)
        // A CSV list names its categories row by row: its own category is named only when
        // a row leaves the field empty.
        if list.format != .csv {
            do { _ = try loading.listAttributes(&builder) } catch {
                throw IndicatorListLoadError(file: list.file, line: 0, error: error)
            }
        }
        switch list.format {
        case .plain: try loading.loadPlain(bytes, into: &builder)
        case .hosts: try loading.loadHosts(bytes, into: &builder)
        case .csv: try loading.loadCSV(bytes, into: &builder)
        }
        return loading.finish(builder)
    }
}

/// The state of one list's load: its report and the attributes of its entries.
struct ListLoading {
    let list: IndicatorList
    var report: IndicatorListReport
    /// The list's own category and source, once named.
    var attributes: IndicatorAttributes?
    /// Accepted entries per attribute set, turned into per-category counts at the end.
    var acceptedByAttributes: [UInt32: Int] = [:]
    /// Reused for each name's normal form.
    var scratch: [UInt8] = []

    init(list: IndicatorList) {
        self.list = list
        self.report = IndicatorListReport(file: list.file, format: list.format)
        scratch.reserveCapacity(256)
    }

    /// The attributes of the list's own category and source, named on first use.
    mutating func listAttributes(_ builder: inout IndicatorStoreBuilder) throws(IndicatorStoreError) -> IndicatorAttributes {
        if let attributes { return attributes }
        let made = try builder.attributes(categories: [builder.category(list.category)], sources: [builder.source(list.source)])
        attributes = made
        return made
    }

    mutating func reject(_ problem: IndicatorListProblem, line: Int, text: UnsafeRawBufferPointer) {
        report.rejected += 1
        if report.rejections.count < IndicatorListReport.rejectionsKept {
            report.rejections.append(
                IndicatorListRejection(file: list.file, line: line, text: ListLines.excerpt(text), problem: problem))
        }
    }

    mutating func count(_ insertion: IndicatorInsertion, _ kind: IndicatorKind, _ attributes: IndicatorAttributes) {
        switch kind {
        case .domain: report.domains += 1
        case .url: report.urls += 1
        case .address: report.addresses += 1
        }
        if insertion == .added { report.added += 1 } else { report.alreadyListed += 1 }
        acceptedByAttributes[attributes.rawValue, default: 0] += 1
    }

    /// Adds one entry of the given content kind; a refusal of the entry is recorded, a
    /// refusal by the store thrown.
    mutating func addEntry(
        _ entry: UnsafeRawBufferPointer, content: IndicatorListContent, attributes: IndicatorAttributes, line: Int,
        into builder: inout IndicatorStoreBuilder
    ) throws(IndicatorListLoadError) {
        do {
            let isAddressShaped = ListLines.looksLikeAddress(entry)
            if content != .urls && isAddressShaped {
                guard let network = ListLines.parseAddress(entry) else { return reject(.badAddress, line: line, text: entry) }
                count(try builder.addNetwork(network, attributes: attributes), .address, attributes)
                return
            }
            let isURL = content == .urls || entry.contains(0x2F)
            if isURL {
                if content == .domains { return reject(.urlInDomainList, line: line, text: entry) }
                switch ListedURL.parse(entry) {
                case .failure(let problem): reject(problem, line: line, text: entry)
                case .success(let url): count(try builder.addURL(url, attributes: attributes), .url, attributes)
                }
                return
            }
            if let problem = DomainName.normalize(entry, into: &scratch) { return reject(problem, line: line, text: entry) }
            let insertion = try scratch.withBytes { bytes throws(IndicatorStoreError) in
                try builder.addNormalizedDomain(bytes, attributes: attributes)
            }
            count(insertion, .domain, attributes)
        } catch {
            throw IndicatorListLoadError(file: list.file, line: line, error: error)
        }
    }

    /// Plain lists: one entry per line.
    mutating func loadPlain(_ bytes: UnsafeRawBufferPointer, into builder: inout IndicatorStoreBuilder)
        throws(IndicatorListLoadError)
    {
        var lines = ListLines(bytes)
        while let line = lines.next() {
            report.lines += 1
            if line.bytes.count > IndicatorListLoader.maximumLineLength {
                reject(.lineTooLong(line.bytes.count), line: line.number, text: line.bytes)
                continue
            }
            let entry = ListLines.withoutComment(line.bytes)
            if entry.isEmpty { continue }
            if entry.contains(where: ListLines.isSpace) {
                // "exa mple.com", or two entries on one line: either way not one entry.
                reject(.badCharacter(0x20), line: line.number, text: entry)
                continue
            }
            try addEntry(entry, content: list.content, attributes: attributes!, line: line.number, into: &builder)
        }
    }

    /// Names a hosts file maps for the machine itself, not to block.
    static let localNames: Set<String> = [
        "localhost", "localhost.localdomain", "local", "broadcasthost", "ip6-localhost", "ip6-loopback",
        "ip6-localnet", "ip6-mcastprefix", "ip6-allnodes", "ip6-allrouters", "ip6-allhosts", "0.0.0.0",
    ]

    /// Hosts files: `ADDRESS NAME [NAME...]`.
    mutating func loadHosts(_ bytes: UnsafeRawBufferPointer, into builder: inout IndicatorStoreBuilder)
        throws(IndicatorListLoadError)
    {
        var lines = ListLines(bytes)
        while let line = lines.next() {
            report.lines += 1
            if line.bytes.count > IndicatorListLoader.maximumLineLength {
                reject(.lineTooLong(line.bytes.count), line: line.number, text: line.bytes)
                continue
            }
            let content = ListLines.withoutComment(line.bytes)
            if content.isEmpty { continue }
            let fields = ListLines.fields(content)
            guard ListLines.parseAddress(fields[0]) != nil, !fields[0].contains(0x2F) else {
                reject(.hostsBadAddress, line: line.number, text: content)
                continue
            }
            guard fields.count >= 2 else {
                reject(.hostsWithoutName, line: line.number, text: content)
                continue
            }
            for name in fields.dropFirst() {
                if name.count <= 24, Self.localNames.contains(String(decoding: name, as: UTF8.self).lowercased()) {
                    report.ignored += 1
                    continue
                }
                try addEntry(name, content: .domains, attributes: attributes!, line: line.number, into: &builder)
            }
        }
    }

    func finish(_ builder: IndicatorStoreBuilder) -> IndicatorListReport {
        var report = self.report
        for (attributes, n) in acceptedByAttributes {
            for category in builder.interner.table.categories(Int(attributes)) {
                report.categories[builder.categoryNames[Int(category)], default: 0] += n
            }
        }
        return report
    }
}

/// A CSV list's header: which column holds the indicator (and what kind it holds), which the
/// category, and the separator.
struct CSVHeader {
    /// Column names for the indicator, most specific first, and what each holds.
    static let indicatorColumns: [(name: String, content: IndicatorListContent?)] = [
        ("indicator", .any), ("domain", .domains), ("url", .urls), ("ip", nil), ("cidr", nil), ("network", nil),
        ("address", nil), ("host", .domains), ("hostname", .domains), ("name", .domains), ("value", .any),
        ("entry", .any),
    ]
    static let categoryColumns = ["category", "categories"]

    var separator: UInt8
    var indicator: Int
    /// nil: addresses only.
    var content: IndicatorListContent?
    var category: Int

    /// The separator of a header line: the most frequent of `,`, `;` and tab (`,` on a tie).
    static func separator(of line: UnsafeRawBufferPointer) -> UInt8 {
        let counts = [UInt8(ascii: ","), UInt8(ascii: ";"), 0x09].map { s in (s, line.filter { $0 == s }.count) }
        return counts.max { $0.1 < $1.1 }.flatMap { $0.1 > 0 ? $0.0 : nil } ?? UInt8(ascii: ",")
    }

    static func columnName(_ field: [UInt8]) -> String {
        String(decoding: field, as: UTF8.self).trimmingSpaces().lowercased()
    }

    /// Whether a list's first line names the columns of a CSV list.
    static func looksLikeHeader(_ line: UnsafeRawBufferPointer) -> Bool {
        let separator = separator(of: line)
        guard line.contains(separator) else { return false }
        guard let record = try? CSVRecords.split(line, separator: separator) else { return false }
        let names = Set(record.map(columnName))
        return indicatorColumns.contains { names.contains($0.name) } && categoryColumns.contains { names.contains($0) }
    }

    init?(_ fields: [[UInt8]], separator: UInt8) {
        let names = fields.map(Self.columnName)
        guard let indicator = Self.indicatorColumns.first(where: { names.contains($0.name) }),
              let category = Self.categoryColumns.first(where: { names.contains($0) })
        else { return nil }
        self.separator = separator
        self.indicator = names.firstIndex(of: indicator.name)!
        self.content = indicator.content
        self.category = names.firstIndex(of: category)!
    }
}

/// RFC 4180 records: fields separated by one byte, optionally quoted (`"a, b"`, `""` for a
/// quote inside); a quoted field may span lines.
enum CSVRecords {
    struct UnterminatedQuote: Error {}

    /// The fields of one record's text.
    static func split(_ text: UnsafeRawBufferPointer, separator: UInt8) throws(UnterminatedQuote) -> [[UInt8]] {
        var fields: [[UInt8]] = []
        var field: [UInt8] = []
        var i = 0
        var quoted = false
        var fieldStart = true
        while i < text.count {
            let b = text[i]
            if quoted {
                if b == 0x22 {
                    if i + 1 < text.count && text[i + 1] == 0x22 {
                        field.append(0x22)
                        i += 2
                        continue
                    }
                    quoted = false
                } else {
                    field.append(b)
                }
            } else if b == 0x22 && fieldStart {
                quoted = true
                fieldStart = false
            } else if b == separator {
                fields.append(field)
                field = []
                fieldStart = true
            } else {
                field.append(b)
                if !ListLines.isSpace(b) { fieldStart = false }
            }
            i += 1
        }
        if quoted { throw UnterminatedQuote() }
        fields.append(field)
        return fields
    }

    /// Whether `text` ends inside a quoted field (the record continues on the next line).
    static func isOpen(_ text: UnsafeRawBufferPointer, separator: UInt8) -> Bool {
        var quoted = false
        var fieldStart = true
        var i = 0
        while i < text.count {
            let b = text[i]
            i += 1
            if quoted {
                if b == 0x22 {
                    // `""` inside quotes is a quote character.
                    if i < text.count && text[i] == 0x22 { i += 1 } else { quoted = false }
                }
                continue
            }
            if b == 0x22 && fieldStart {
                quoted = true
            } else if b == separator {
                fieldStart = true
                continue
            }
            if !ListLines.isSpace(b) { fieldStart = false }
        }
        return quoted
    }
}

extension ListLoading {
    /// CSV lists: a header, then one record per line (or more, when a quoted field spans
    /// lines). Blank lines and lines starting with `#` are skipped.
    mutating func loadCSV(_ bytes: UnsafeRawBufferPointer, into builder: inout IndicatorStoreBuilder)
        throws(IndicatorListLoadError)
    {
        var lines = ListLines(bytes)
        var header: CSVHeader?
        var categoryCache: [[UInt8]: IndicatorAttributes] = [:]
        while let first = lines.next() {
            report.lines += 1
            let trimmed = ListLines.trimmed(first.bytes)
            if trimmed.isEmpty || trimmed.first == 0x23 { continue }
            // The record's text: this line, and the next ones while a quote is open.
            let separator = header?.separator ?? CSVHeader.separator(of: trimmed)
            var text = UnsafeRawBufferPointer(rebasing: bytes[offset(of: trimmed, in: bytes)..<offset(of: trimmed, in: bytes) + trimmed.count])
            while CSVRecords.isOpen(text, separator: separator), let more = lines.next() {
                report.lines += 1
                let start = offset(of: text, in: bytes)
                text = UnsafeRawBufferPointer(rebasing: bytes[start..<(offset(of: more.bytes, in: bytes) + more.bytes.count)])
            }
            if text.count > IndicatorListLoader.maximumLineLength {
                reject(.lineTooLong(text.count), line: first.number, text: text)
                continue
            }
            let fields: [[UInt8]]
            do { fields = try CSVRecords.split(text, separator: separator) } catch {
                reject(.csvUnterminatedQuote, line: first.number, text: text)
                continue
            }
            guard let columns = header else {
                guard let parsed = CSVHeader(fields, separator: separator) else {
                    reject(.csvHeader, line: first.number, text: text)
                    return
                }
                header = parsed
                continue
            }
            let needed = max(columns.indicator, columns.category) + 1
            guard fields.count >= needed else {
                reject(.csvMissingField(expected: needed, found: fields.count), line: first.number, text: text)
                continue
            }
            let indicator = fields[columns.indicator]
            let trimmedIndicator = indicator.withUnsafeBytes { Array(ListLines.trimmed($0)) }
            guard !trimmedIndicator.isEmpty else {
                reject(.csvEmptyIndicator, line: first.number, text: text)
                continue
            }
            let categoryField = fields[columns.category]
            let rowAttributes: IndicatorAttributes
            if let cached = categoryCache[categoryField] {
                rowAttributes = cached
            } else {
                do {
                    rowAttributes = try attributes(forCategoryField: categoryField, builder: &builder)
                } catch {
                    throw IndicatorListLoadError(file: list.file, line: first.number, error: error)
                }
                categoryCache[categoryField] = rowAttributes
            }
            try trimmedIndicator.withBytes { entry throws(IndicatorListLoadError) in
                guard let content = columns.content else {
                    // An address column.
                    guard let network = ListLines.parseAddress(entry) else {
                        reject(
                            ListLines.looksLikeAddress(entry) ? .badAddress : .nameInAddressList, line: first.number,
                            text: entry)
                        return
                    }
                    do throws(IndicatorStoreError) { count(try builder.addNetwork(network, attributes: rowAttributes), .address, rowAttributes) } catch {
                        throw IndicatorListLoadError(file: list.file, line: first.number, error: error)
                    }
                    return
                }
                if entry.contains(where: ListLines.isSpace) {
                    reject(.badCharacter(0x20), line: first.number, text: entry)
                    return
                }
                try addEntry(entry, content: content, attributes: rowAttributes, line: first.number, into: &builder)
            }
        }
    }

    private func offset(of part: UnsafeRawBufferPointer, in whole: UnsafeRawBufferPointer) -> Int {
        guard let p = part.baseAddress, let w = whole.baseAddress else { return 0 }
        return w.distance(to: p)
    }

    /// The attributes of a row: its categories (separated by `;`, `|` or `,`; the list's
    /// own category when empty) and the list as source.
    private mutating func attributes(forCategoryField field: [UInt8], builder: inout IndicatorStoreBuilder)
        throws(IndicatorStoreError) -> IndicatorAttributes
    {
        let names = String(decoding: field, as: UTF8.self)
            .split(whereSeparator: { $0 == ";" || $0 == "|" || $0 == "," })
            .map { String($0).trimmingSpaces() }
            .filter { !$0.isEmpty }
        if names.isEmpty { return try listAttributes(&builder) }
        var categories: [IndicatorCategory] = []
        for name in names { categories.append(try builder.category(name)) }
        return try builder.attributes(categories: categories, sources: [builder.source(list.source)])
    }
}

extension String {
    /// Without leading and trailing spaces and tabs.
    func trimmingSpaces() -> String {
        let scalars = unicodeScalars
        guard let first = scalars.firstIndex(where: { $0 != " " && $0 != "\t" }),
              let last = scalars.lastIndex(where: { $0 != " " && $0 != "\t" })
        else { return "" }
        return String(scalars[first...last])
    }
}

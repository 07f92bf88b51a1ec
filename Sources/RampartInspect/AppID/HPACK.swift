/// HPACK (RFC 7541): the header compression of HTTP/2, decoded once per session to read
/// the first request's `:method`, `:path`, `:authority` and `content-type`.
///
/// A full decoder: the static table, a dynamic table whose size updates are bounded by the
/// 4096 bytes HTTP/2 allows by default, Huffman-coded strings (the RFC 7541 Appendix B code,
/// which is canonical, so it is rebuilt from the code lengths), and bounds checks on every
/// integer and string. Malformed input stops decoding with a named reason; it never traps.
///
/// ```swift
/// var decoder = HPACKDecoder()
/// let block: [UInt8] = [0x82, 0x86, 0x84]          // :method GET, :scheme http, :path /
/// let fields = block.withUnsafeBytes { try? decoder.decode($0).get() }
/// // fields?[2] == HPACKField(name: ":path", value: "/")
/// ```
struct HPACKDecoder {
    /// The most the dynamic table may hold: HTTP/2's default SETTINGS_HEADER_TABLE_SIZE.
    static let tableSizeLimit = 4096
    /// Decoded strings longer than this are refused (a prefix is never larger than 4 KiB
    /// of headers; Huffman expands at most 8/5).
    static let stringLengthLimit = 8192
    /// At most this many fields per block are returned.
    static let fieldLimit = 128

    private(set) var table: [HPACKField] = []      // newest first
    private(set) var tableSize = 0
    private(set) var maxTableSize = HPACKDecoder.tableSizeLimit

    init() {}

    /// Decodes one complete header block (the HEADERS fragment and its CONTINUATIONs).
    mutating func decode(_ block: UnsafeRawBufferPointer) -> Result<[HPACKField], HPACKError> {
        var fields: [HPACKField] = []
        var at = 0
        var fieldSeen = false
        while at < block.count {
            let first = block[at]
            if first & 0x80 != 0 {
                guard let index = HPACKInteger.decode(block, at: &at, prefixBits: 7) else { return .failure(.badInteger) }
                guard let field = entry(index) else { return .failure(.badIndex) }
                fields.append(field)
            } else if first & 0x40 != 0 {
                let field: HPACKField
                switch literal(block, at: &at, prefixBits: 6) {
                case .success(let f): field = f
                case .failure(let e): return .failure(e)
                }
                insert(field)
                fields.append(field)
            } else if first & 0x20 != 0 {
                // A size update belongs at the start of a block (RFC 7541 4.2).
                guard !fieldSeen else { return .failure(.misplacedSizeUpdate) }
                guard let size = HPACKInteger.decode(block, at: &at, prefixBits: 5) else { return .failure(.badInteger) }
                guard size <= HPACKDecoder.tableSizeLimit else { return .failure(.tableSizeTooLarge) }
                maxTableSize = size
                evict(toFit: 0)
                continue
            } else {
                // 0000xxxx without indexing, 0001xxxx never indexed: same shape for a reader.
                switch literal(block, at: &at, prefixBits: 4) {
                case .success(let f): fields.append(f)
                case .failure(let e): return .failure(e)
                }
            }
            fieldSeen = true
            if fields.count > HPACKDecoder.fieldLimit { return .failure(.tooManyFields) }
        }
        return .success(fields)
    }

    private func literal(_ block: UnsafeRawBufferPointer, at: inout Int, prefixBits: Int) -> Result<HPACKField, HPACKError> {
        guard let index = HPACKInteger.decode(block, at: &at, prefixBits: prefixBits) else { return .failure(.badInteger) }
        let name: [UInt8]
        if index == 0 {
            switch HPACKString.decode(block, at: &at) {
            case .success(let s): name = s
            case .failure(let e): return .failure(e)
            }
        } else {
            guard let field = entry(index) else { return .failure(.badIndex) }
            name = field.name
        }
        return HPACKString.decode(block, at: &at).map { HPACKField(name: name, value: $0) }
    }

    /// Index 1...61 is the static table, 62... the dynamic table (newest first); 0 is invalid.
    func entry(_ index: Int) -> HPACKField? {
        if index >= 1 && index <= HPACKStaticTable.fields.count { return HPACKStaticTable.fields[index - 1] }
        let dynamic = index - HPACKStaticTable.fields.count - 1
        guard index > HPACKStaticTable.fields.count, dynamic < table.count else { return nil }
        return table[dynamic]
    }

    private mutating func insert(_ field: HPACKField) {
        let size = field.size
        evict(toFit: size)
        // An entry larger than the table empties it and is not added (RFC 7541 4.4).
        guard size <= maxTableSize else { return }
        table.insert(field, at: 0)
        tableSize += size
    }

    private mutating func evict(toFit incoming: Int) {
        while !table.isEmpty && tableSize + incoming > maxTableSize {
            tableSize -= table.removeLast().size
        }
        if incoming > maxTableSize {
            table.removeAll()
            tableSize = 0
        }
    }
}

/// One decoded header field, as bytes (names are lower-case on the wire in HTTP/2).
struct HPACKField: Equatable, Sendable {
    var name: [UInt8]
    var value: [UInt8]

    init(name: [UInt8], value: [UInt8]) {
        self.name = name
        self.value = value
    }

    init(name: String, value: String) {
        self.name = Array(name.utf8)
        self.value = Array(value.utf8)
    }

    /// The RFC 7541 4.1 entry size: both lengths plus 32.
    var size: Int { name.count &+ value.count &+ 32 }
}

/// Why a header block could not be decoded.
enum HPACKError: Error, Equatable, Sendable {
    case truncated
    case badInteger
    case badIndex
    case stringTooLong
    case badHuffman
    case tableSizeTooLarge
    case misplacedSizeUpdate
    case tooManyFields
}

/// HPACK's prefixed integers (RFC 7541 5.1).
enum HPACKInteger {
    /// Values above this are refused: nothing in a 4 KiB prefix needs more.
    static let limit = 1 << 24

    /// Reads an integer whose first byte's low `prefixBits` bits start it; nil when
    /// truncated or too large (an overlong continuation never overflows).
    static func decode(_ bytes: UnsafeRawBufferPointer, at: inout Int, prefixBits: Int) -> Int? {
        guard at < bytes.count, prefixBits >= 1, prefixBits <= 8 else { return nil }
        let mask = (1 << prefixBits) - 1
        var value = Int(bytes[at]) & mask
        at += 1
        if value < mask { return value }
        var shift = 0
        while at < bytes.count {
            let byte = Int(bytes[at])
            at += 1
            value += (byte & 0x7F) << shift
            if value > limit { return nil }
            if byte & 0x80 == 0 { return value }
            shift += 7
            if shift > 28 { return nil }
        }
        return nil
    }
}

/// HPACK's string literals (RFC 7541 5.2), plain or Huffman-coded.
enum HPACKString {
    static func decode(_ bytes: UnsafeRawBufferPointer, at: inout Int) -> Result<[UInt8], HPACKError> {
        guard at < bytes.count else { return .failure(.truncated) }
        let huffman = bytes[at] & 0x80 != 0
        guard let length = HPACKInteger.decode(bytes, at: &at, prefixBits: 7) else { return .failure(.badInteger) }
        guard length <= bytes.count - at else { return .failure(.truncated) }
        let raw = UnsafeRawBufferPointer(rebasing: bytes[at..<(at + length)])
        at += length
        if !huffman {
            guard length <= HPACKDecoder.stringLengthLimit else { return .failure(.stringTooLong) }
            return .success(Array(raw))
        }
        return HPACKHuffman.decode(raw)
    }
}

/// The Huffman code of RFC 7541 Appendix B. It is canonical (codes of each length are
/// consecutive, in symbol order), so the code lengths alone rebuild it; decoding walks
/// one bit at a time with the first code and count of each length.
enum HPACKHuffman {
    /// Code length of each symbol 0...256 (256 is EOS), from RFC 7541 Appendix B.
    static let codeLengths: [UInt8] = [
        13, 23, 28, 28, 28, 28, 28, 28, 28, 24, 30, 28, 28, 30, 28, 28,
        28, 28, 28, 28, 28, 28, 30, 28, 28, 28, 28, 28, 28, 28, 28, 28,
        6, 10, 10, 12, 13, 6, 8, 11, 10, 10, 8, 11, 8, 6, 6, 6,
        5, 5, 5, 6, 6, 6, 6, 6, 6, 6, 7, 8, 15, 6, 12, 10,
        13, 6, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7,
        7, 7, 7, 7, 7, 7, 7, 7, 8, 7, 8, 13, 19, 13, 14, 6,
        15, 5, 6, 5, 6, 5, 6, 6, 6, 5, 7, 7, 6, 6, 6, 5,
        6, 7, 6, 5, 5, 6, 7, 7, 7, 7, 7, 15, 11, 14, 13, 28,
        20, 22, 20, 20, 22, 22, 22, 23, 22, 23, 23, 23, 23, 23, 24, 23,
        24, 24, 22, 23, 24, 23, 23, 23, 23, 21, 22, 23, 22, 23, 23, 24,
        22, 21, 20, 22, 22, 23, 23, 21, 23, 22, 22, 24, 21, 22, 23, 23,
        21, 21, 22, 21, 23, 22, 23, 23, 20, 22, 22, 22, 23, 22, 22, 23,
        26, 26, 20, 19, 22, 23, 22, 25, 26, 26, 26, 27, 27, 26, 24, 25,
        19, 21, 26, 27, 27, 26, 27, 24, 21, 21, 26, 26, 28, 27, 27, 27,
        20, 24, 20, 21, 22, 21, 21, 23, 22, 22, 25, 25, 24, 24, 26, 23,
        26, 27, 26, 26, 27, 27, 27, 27, 27, 28, 27, 27, 27, 27, 27, 26,
        30,
    ]

    /// Symbols ordered by (length, symbol): the canonical order.
    static let sortedSymbols: [UInt16] = (0..<257).map { UInt16($0) }
        .sorted { (codeLengths[Int($0)], $0) < (codeLengths[Int($1)], $1) }

    /// For each length 0...30: the first code of that length, how many codes have it, and
    /// where they start in `sortedSymbols`.
    static let firstCode: [UInt32] = canonical.first
    static let countOfLength: [Int] = canonical.count
    static let offsetOfLength: [Int] = canonical.offset

    private static let canonical: (first: [UInt32], count: [Int], offset: [Int]) = {
        var count = [Int](repeating: 0, count: 31)
        for l in codeLengths { count[Int(l)] += 1 }
        var first = [UInt32](repeating: 0, count: 31)
        var offset = [Int](repeating: 0, count: 31)
        var code: UInt32 = 0
        var position = 0
        for length in 1...30 {
            code = (code + UInt32(count[length - 1])) << 1
            if length == 1 { code = 0 }
            first[length] = code
            offset[length] = position
            position += count[length]
        }
        return (first, count, offset)
    }()

    /// Decodes a Huffman-coded string; padding must be fewer than 8 one-bits (the EOS
    /// prefix) and EOS itself must not appear (RFC 7541 5.2).
    static func decode(_ bytes: UnsafeRawBufferPointer) -> Result<[UInt8], HPACKError> {
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count * 8 / 5 + 1)
        var code: UInt32 = 0
        var length = 0
        var allOnes = true
        for byte in bytes {
            for bit in stride(from: 7, through: 0, by: -1) {
                let b = UInt32((byte >> UInt8(bit)) & 1)
                code = (code << 1) | b
                length += 1
                allOnes = allOnes && b == 1
                guard length <= 30 else { return .failure(.badHuffman) }
                let delta = code &- firstCode[length]
                if code >= firstCode[length] && Int(delta) < countOfLength[length] {
                    let symbol = sortedSymbols[offsetOfLength[length] + Int(delta)]
                    guard symbol < 256 else { return .failure(.badHuffman) }
                    guard out.count < HPACKDecoder.stringLengthLimit else { return .failure(.stringTooLong) }
                    out.append(UInt8(symbol))
                    code = 0
                    length = 0
                    allOnes = true
                }
            }
        }
        guard length <= 7, allOnes else { return .failure(.badHuffman) }
        return .success(out)
    }
}

/// The 61 entries of RFC 7541 Appendix A.
enum HPACKStaticTable {
    static let fields: [HPACKField] = [
        HPACKField(name: ":authority", value: ""),
        HPACKField(name: ":method", value: "GET"),
        HPACKField(name: ":method", value: "POST"),
        HPACKField(name: ":path", value: "/"),
        HPACKField(name: ":path", value: "/index.html"),
        HPACKField(name: ":scheme", value: "http"),
        HPACKField(name: ":scheme", value: "https"),
        HPACKField(name: ":status", value: "200"),
        HPACKField(name: ":status", value: "204"),
        HPACKField(name: ":status", value: "206"),
        HPACKField(name: ":status", value: "304"),
        HPACKField(name: ":status", value: "400"),
        HPACKField(name: ":status", value: "404"),
        HPACKField(name: ":status", value: "500"),
        HPACKField(name: "accept-charset", value: ""),
        HPACKField(name: "accept-encoding", value: "gzip, deflate"),
        HPACKField(name: "accept-language", value: ""),
        HPACKField(name: "accept-ranges", value: ""),
        HPACKField(name: "accept", value: ""),
        HPACKField(name: "access-control-allow-origin", value: ""),
        HPACKField(name: "age", value: ""),
        HPACKField(name: "allow", value: ""),
        HPACKField(name: "authorization", value: ""),
        HPACKField(name: "cache-control", value: ""),
        HPACKField(name: "content-disposition", value: ""),
        HPACKField(name: "content-encoding", value: ""),
        HPACKField(name: "content-language", value: ""),
        HPACKField(name: "content-length", value: ""),
        HPACKField(name: "content-location", value: ""),
        HPACKField(name: "content-range", value: ""),
        HPACKField(name: "content-type", value: ""),
        HPACKField(name: "cookie", value: ""),
        HPACKField(name: "date", value: ""),
        HPACKField(name: "etag", value: ""),
        HPACKField(name: "expect", value: ""),
        HPACKField(name: "expires", value: ""),
        HPACKField(name: "from", value: ""),
        HPACKField(name: "host", value: ""),
        HPACKField(name: "if-match", value: ""),
        HPACKField(name: "if-modified-since", value: ""),
        HPACKField(name: "if-none-match", value: ""),
        HPACKField(name: "if-range", value: ""),
        HPACKField(name: "if-unmodified-since", value: ""),
        HPACKField(name: "last-modified", value: ""),
        HPACKField(name: "link", value: ""),
        HPACKField(name: "location", value: ""),
        HPACKField(name: "max-forwards", value: ""),
        HPACKField(name: "proxy-authenticate", value: ""),
        HPACKField(name: "proxy-authorization", value: ""),
        HPACKField(name: "range", value: ""),
        HPACKField(name: "referer", value: ""),
        HPACKField(name: "refresh", value: ""),
        HPACKField(name: "retry-after", value: ""),
        HPACKField(name: "server", value: ""),
        HPACKField(name: "set-cookie", value: ""),
        HPACKField(name: "strict-transport-security", value: ""),
        HPACKField(name: "transfer-encoding", value: ""),
        HPACKField(name: "user-agent", value: ""),
        HPACKField(name: "vary", value: ""),
        HPACKField(name: "via", value: ""),
        HPACKField(name: "www-authenticate", value: ""),
    ]
}

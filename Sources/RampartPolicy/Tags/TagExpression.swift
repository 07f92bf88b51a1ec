/// A boolean expression over tags, defining an address group:
/// `cluster:prod and ns:payments and (label:app=web or label:app=api) and not label:canary=true`.
///
/// Grammar (precedence `not` > `and` > `or`; keywords are lower-case):
/// ```
/// expression := term ('or' term)*
/// term       := factor ('and' factor)*
/// factor     := 'not' factor | '(' expression ')' | TAG | "'" TAG "'"
/// ```
/// A bare tag runs until whitespace or a parenthesis; quote tags that hold parentheses.
///
/// ```swift
/// let e = try TagExpression.parse("ns:payments and not label:tier=db")
/// e.matches([Tag(validating: "ns:payments")!])  // true
/// ```
public indirect enum TagExpression: Hashable, Sendable, CustomStringConvertible {
    case tag(Tag)
    case not(TagExpression)
    case and(TagExpression, TagExpression)
    case or(TagExpression, TagExpression)

    public static let maximumLength = 8192
    public static let maximumDepth = 48

    /// A parse problem at a byte offset into the expression's text.
    public struct ParseError: Error, Hashable, Sendable {
        public var offset: Int
        public var message: String
    }

    public var description: String {
        switch self {
        case .tag(let t):
            return t.rawValue.contains(where: { $0 == "(" || $0 == ")" }) ? "'\(t.rawValue)'" : t.rawValue
        case .not(let e):
            if case .tag = e { return "not \(e)" }
            return "not (\(e))"
        case .and(let a, let b):
            func wrap(_ x: TagExpression) -> String { if case .or = x { return "(\(x))" }; return x.description }
            return "\(wrap(a)) and \(wrap(b))"
        case .or(let a, let b):
            return "\(a) or \(b)"
        }
    }

    /// The distinct tags the expression mentions, in first-seen order.
    public var atoms: [Tag] {
        var seen = Set<Tag>()
        var out: [Tag] = []
        func walk(_ e: TagExpression) {
            switch e {
            case .tag(let t): if seen.insert(t).inserted { out.append(t) }
            case .not(let x): walk(x)
            case .and(let a, let b), .or(let a, let b): walk(a); walk(b)
            }
        }
        walk(self)
        return out
    }

    /// Evaluates against the tags an address holds.
    public func matches(_ tags: some Collection<Tag>) -> Bool {
        let set = Set(tags)
        return evaluate { set.contains($0) }
    }

    /// Evaluates with `holds` telling whether the address has a tag.
    public func evaluate(_ holds: (Tag) -> Bool) -> Bool {
        switch self {
        case .tag(let t): return holds(t)
        case .not(let e): return !e.evaluate(holds)
        case .and(let a, let b): return a.evaluate(holds) && b.evaluate(holds)
        case .or(let a, let b): return a.evaluate(holds) || b.evaluate(holds)
        }
    }

    /// Whether some address could match, given that an address holds one value per
    /// single-valued key (`ns:a and ns:b` never matches). Checked exhaustively when the
    /// expression has at most 16 distinct tags; larger expressions are assumed satisfiable.
    public var isSatisfiable: Bool {
        let atoms = self.atoms
        guard atoms.count <= 16 else { return true }
        var index: [Tag: Int] = [:]
        for (i, t) in atoms.enumerated() { index[t] = i }
        // Pairs of atoms that exclude each other (same single-valued key, different value).
        var exclusive: [UInt32] = Array(repeating: 0, count: atoms.count)
        for i in 0..<atoms.count {
            guard let ki = atoms[i].singleValuedKey else { continue }
            for j in 0..<atoms.count where j != i && atoms[j].singleValuedKey == ki {
                exclusive[i] |= 1 << UInt32(j)
            }
        }
        let limit: UInt32 = 1 << UInt32(atoms.count)
        var mask: UInt32 = 0
        while mask < limit {
            var consistent = true
            for i in 0..<atoms.count where mask & (1 << UInt32(i)) != 0 && mask & exclusive[i] != 0 {
                consistent = false
                break
            }
            if consistent && evaluate({ t in mask & (1 << UInt32(index[t] ?? 0)) != 0 }) { return true }
            mask += 1
        }
        return false
    }

    /// Parses the text form; errors carry the byte offset where the problem is.
    public static func parse(_ text: String) throws(ParseError) -> TagExpression {
        let bytes = Array(text.utf8)
        if bytes.count > maximumLength {
            throw ParseError(offset: 0, message: "tag expression is longer than \(maximumLength) bytes")
        }
        var parser = TagExpressionParser(bytes: bytes)
        let e = try parser.expression(depth: 0)
        parser.skipSpace()
        if parser.position < bytes.count {
            let token = parser.peekToken()
            if token == ")" {
                throw ParseError(offset: parser.position, message: "unbalanced ')' in tag expression")
            }
            throw ParseError(offset: parser.position,
                message: "expected 'and', 'or' or the end of the expression, found '\(token)'")
        }
        return e
    }
}

struct TagExpressionParser {
    let bytes: [UInt8]
    var position = 0

    init(bytes: [UInt8]) { self.bytes = bytes }

    mutating func skipSpace() {
        while position < bytes.count, bytes[position] == 0x20 || bytes[position] == 0x09 || bytes[position] == 0x0A || bytes[position] == 0x0D {
            position += 1
        }
    }

    static func isDelimiter(_ b: UInt8) -> Bool {
        b == 0x20 || b == 0x09 || b == 0x0A || b == 0x0D || b == 0x28 || b == 0x29
    }

    /// The next token's text without consuming it (for messages).
    func peekToken() -> String {
        guard position < bytes.count else { return "end of expression" }
        let b = bytes[position]
        if b == 0x28 || b == 0x29 { return String(UnicodeScalar(b)) }
        var end = position
        while end < bytes.count, !TagExpressionParser.isDelimiter(bytes[end]) { end += 1 }
        return String(decoding: bytes[position..<min(end, position + 64)], as: UTF8.self)
    }

    /// Consumes `word` if it is the next token as a whole word.
    mutating func keyword(_ word: StaticString) -> Bool {
        skipSpace()
        let n = word.utf8CodeUnitCount
        guard position + n <= bytes.count else { return false }
        let w = UnsafeBufferPointer(start: word.utf8Start, count: n)
        for i in 0..<n where bytes[position + i] != w[i] { return false }
        if position + n < bytes.count, !TagExpressionParser.isDelimiter(bytes[position + n]) { return false }
        position += n
        return true
    }

    mutating func expression(depth: Int) throws(TagExpression.ParseError) -> TagExpression {
        var left = try term(depth: depth)
        while keyword("or") {
            left = .or(left, try term(depth: depth))
        }
        return left
    }

    mutating func term(depth: Int) throws(TagExpression.ParseError) -> TagExpression {
        var left = try factor(depth: depth)
        while keyword("and") {
            left = .and(left, try factor(depth: depth))
        }
        return left
    }

    mutating func factor(depth: Int) throws(TagExpression.ParseError) -> TagExpression {
        if depth > TagExpression.maximumDepth {
            throw .init(offset: position, message: "tag expression nests deeper than \(TagExpression.maximumDepth) levels")
        }
        skipSpace()
        guard position < bytes.count else {
            throw .init(offset: position, message: "expected a tag, 'not' or '(', found the end of the expression")
        }
        if keyword("not") {
            return .not(try factor(depth: depth + 1))
        }
        let start = position
        let b = bytes[position]
        if b == 0x28 {
            position += 1
            let inner = try expression(depth: depth + 1)
            skipSpace()
            guard position < bytes.count, bytes[position] == 0x29 else {
                throw .init(offset: start, message: "'(' is never closed")
            }
            position += 1
            return inner
        }
        if b == 0x29 {
            throw .init(offset: position, message: "expected a tag, 'not' or '(', found ')'")
        }
        var text: String
        if b == 0x27 {
            position += 1
            let open = position
            while position < bytes.count, bytes[position] != 0x27 { position += 1 }
            guard position < bytes.count else { throw .init(offset: start, message: "quote is never closed") }
            text = String(decoding: bytes[open..<position], as: UTF8.self)
            position += 1
        } else {
            while position < bytes.count, !TagExpressionParser.isDelimiter(bytes[position]) { position += 1 }
            text = String(decoding: bytes[start..<position], as: UTF8.self)
            if text == "and" || text == "or" {
                throw .init(offset: start, message: "expected a tag, 'not' or '(', found '\(text)'")
            }
        }
        guard let tag = Tag(validating: text) else {
            let problem = Tag.problem(in: text) ?? "malformed"
            throw .init(offset: start, message: "'\(text.prefix(64))' is not a tag: \(problem)")
        }
        return .tag(tag)
    }
}

/// One buffer of a rule and the steps that run over it, in the rule's order.
///
/// A matcher evaluates the steps left to right over the buffer's bytes (after `transforms`),
/// carrying the end of the last match so relative steps (`distance`, `within`, `relative`)
/// continue from it; a step that fails makes Suricata's engine backtrack to the previous
/// content's next occurrence, as `DetectEngineContentInspection` does.
public struct BufferInspection: Hashable, Sendable {
    public var buffer: InspectionBuffer
    public var transforms: [BufferTransform]
    public var steps: [MatchStep]

    public init(buffer: InspectionBuffer, transforms: [BufferTransform] = [], steps: [MatchStep] = []) {
        self.buffer = buffer
        self.transforms = transforms
        self.steps = steps
    }
}

/// A number in a byte keyword or content modifier: written in the rule, or a variable a
/// `byte_extract` / `byte_math` earlier in the rule stored (`Rule.byteVariables[index]`).
public enum ByteValue: Hashable, Sendable, CustomStringConvertible {
    case literal(Int64)
    case variable(index: Int)

    public var description: String {
        switch self {
        case .literal(let v): "\(v)"
        case .variable(let i): "var#\(i)"
        }
    }
}

/// One thing a rule checks inside a buffer.
public enum MatchStep: Hashable, Sendable {
    case content(ContentMatch)
    case pcre(PCREMatch)
    case byteTest(ByteTest)
    case byteJump(ByteJump)
    case byteExtract(ByteExtract)
    case byteMath(ByteMath)
    case isDataAt(IsDataAt)
    /// The buffer's length (`bsize`, and `urilen` on the URI buffers).
    case bufferSize(NumericCondition)
    /// Decodes base64 from the buffer into the rule's `base64_data` buffer.
    case base64Decode(Base64Decode)

    /// The content, when the step is one.
    public var content: ContentMatch? {
        if case .content(let c) = self { return c }
        return nil
    }
}

/// `content` with its modifiers.
public struct ContentMatch: Hashable, Sendable {
    /// The pattern's bytes (hex `|..|` and escapes decoded). Never empty.
    public var bytes: [UInt8]
    /// `content:!"..."`: the step succeeds when the pattern is absent (in the window).
    public var negated = false
    public var nocase = false
    /// Absolute window (from the buffer's start): `offset`, `depth` (counted from `offset`).
    public var offset: ByteValue?
    public var depth: ByteValue?
    /// Relative window (from the previous match's end): `distance`, `within`.
    public var distance: ByteValue?
    public var within: ByteValue?
    /// `startswith`: the pattern is the buffer's first bytes (depth = length, offset 0).
    public var startsWith = false
    /// `endswith` (or `isdataat:!1,relative` right after): the pattern ends the buffer.
    public var endsWith = false
    /// `rawbytes`: accepted for Snort compatibility; no effect in Suricata.
    public var rawBytes = false
    public var fastPattern: FastPatternOption = .none

    public init(bytes: [UInt8]) { self.bytes = bytes }

    /// Whether the match position depends on the previous match.
    public var isRelative: Bool { distance != nil || within != nil }
}

/// What `fast_pattern` said about a content.
public enum FastPatternOption: Hashable, Sendable {
    case none
    /// `fast_pattern`: use this content for the multi-pattern prefilter.
    case chosen
    /// `fast_pattern:only`: the prefilter hit is the whole check (no second inspection).
    case only
    /// `fast_pattern:OFFSET,LENGTH`: prefilter on that slice of the pattern only.
    case chop(offset: Int, length: Int)
}

/// `pcre:"/expression/flags"`.
public struct PCREMatch: Hashable, Sendable {
    /// The expression between the slashes, as written (PCRE2 syntax).
    public var expression: String
    public var negated = false
    /// `R`: search from the end of the previous match.
    public var relative = false
    public var caseless = false  // i
    public var multiline = false  // m
    public var dotAll = false  // s
    public var extended = false  // x
    public var anchored = false  // A
    public var dollarEndOnly = false  // E
    public var ungreedy = false  // G
    /// `O`: the configuration's match limits instead of the defaults.
    public var overrideMatchLimits = false
    /// `B`: Snort's raw bytes; no effect.
    public var rawBytes = false

    public init(expression: String) { self.expression = expression }
}

public enum Endianness: Hashable, Sendable { case big, little, dce }
public enum NumberBase: Hashable, Sendable { case decimal, hexadecimal, octal }

/// How bytes are read into a number: binary (1-8 bytes, `endian`), or text (`string`, 1-23 digits).
public struct ByteReading: Hashable, Sendable {
    /// Bytes (or digits) to read. Suricata 7 accepts 0: with `string` it then reads the whole
    /// run of digits at the offset (`strtoull` over the unbounded buffer); without, nothing.
    public var count: ByteValue
    public var endian: Endianness = .big
    /// Non-nil with `string`: the digits' base (decimal when only `string` is given).
    public var stringBase: NumberBase?
    public init(count: ByteValue) { self.count = count }
}

/// `byte_test:COUNT,[!]OP,VALUE,OFFSET[,relative][,big|little|dce][,string[,dec|hex|oct]][,bitmask M]`.
public struct ByteTest: Hashable, Sendable {
    public enum Operator: String, Hashable, Sendable {
        case less = "<", greater = ">", equal = "=", lessOrEqual = "<=", greaterOrEqual = ">="
        /// `&`: value & operand != 0
        case bitwiseAnd = "&"
        /// `^`: value ^ operand != 0
        case bitwiseXor = "^"
    }
    public var reading: ByteReading
    public var op: Operator
    public var negated: Bool
    public var value: ByteValue
    public var offset: ByteValue
    public var relative = false
    public var bitmask: UInt32?
}

/// `byte_jump:COUNT,OFFSET[,relative][,multiplier N][,big|little|dce][,string[,dec|hex|oct]][,align][,from_beginning|from_end][,post_offset N]`.
public struct ByteJump: Hashable, Sendable {
    public var reading: ByteReading
    public var offset: ByteValue
    public var relative = false
    public var multiplier: Int = 1
    public var align = false
    public enum Origin: Hashable, Sendable { case afterRead, beginning, end }
    public var origin: Origin = .afterRead
    public var postOffset: Int = 0
}

/// `byte_extract:COUNT,OFFSET,NAME[,relative][,multiplier N][,big|little|dce][,string[,dec|hex|oct]][,align N]`.
public struct ByteExtract: Hashable, Sendable {
    public var reading: ByteReading
    public var offset: Int
    /// Index into `Rule.byteVariables`.
    public var variable: Int
    public var relative = false
    public var multiplier: Int = 1
    public var align: Int?
}

/// `byte_math:bytes N, offset O, oper +|-|*|/|<<|>>, rvalue V, result NAME[, relative][, endian big|little|dce][, string dec|hex|oct][, bitmask M]`.
public struct ByteMath: Hashable, Sendable {
    public enum Operator: String, Hashable, Sendable { case add = "+", subtract = "-", multiply = "*", divide = "/", shiftLeft = "<<", shiftRight = ">>" }
    public var reading: ByteReading
    public var offset: Int
    public var op: Operator
    public var rvalue: ByteValue
    public var variable: Int
    public var relative = false
    public var bitmask: UInt32?
}

/// `isdataat:[!]N[,relative]`: at least N+1 bytes from the start (or past the last match).
public struct IsDataAt: Hashable, Sendable {
    public var position: ByteValue
    public var negated = false
    public var relative = false
}

/// `base64_decode[:bytes N][,offset O][,relative]`.
public struct Base64Decode: Hashable, Sendable {
    public var bytes: Int?
    public var offset: Int = 0
    public var relative = false
}

/// An unsigned comparison (`dsize`, `bsize`, `urilen`, `stream_size`, `itype`, ...):
/// Suricata 7's `detect_parse_uint` forms `N`, `=N`, `!N`, `<N`, `<=N`, `>N`, `>=N`, and
/// the exclusive range `A<>B` (also `A-B`).
public enum NumericCondition: Hashable, Sendable, CustomStringConvertible {
    case equal(UInt64)
    case notEqual(UInt64)
    case less(UInt64)
    case lessOrEqual(UInt64)
    case greater(UInt64)
    case greaterOrEqual(UInt64)
    /// Strictly between the bounds.
    case between(UInt64, UInt64)

    public func matches(_ v: UInt64) -> Bool {
        switch self {
        case .equal(let a): v == a
        case .notEqual(let a): v != a
        case .less(let a): v < a
        case .lessOrEqual(let a): v <= a
        case .greater(let a): v > a
        case .greaterOrEqual(let a): v >= a
        case .between(let a, let b): v > a && v < b
        }
    }

    /// The largest value that can match (nil when unbounded).
    public var maximum: UInt64? {
        switch self {
        case .equal(let a), .lessOrEqual(let a): a
        case .less(let a): a - 1
        case .between(_, let b): b - 1
        default: nil
        }
    }

    public var description: String {
        switch self {
        case .equal(let a): "\(a)"
        case .notEqual(let a): "!\(a)"
        case .less(let a): "<\(a)"
        case .lessOrEqual(let a): "<=\(a)"
        case .greater(let a): ">\(a)"
        case .greaterOrEqual(let a): ">=\(a)"
        case .between(let a, let b): "\(a)<>\(b)"
        }
    }
}

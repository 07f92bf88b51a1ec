/// The state of one rule while its options are read, in Suricata's terms: the active
/// sticky buffer, the lists of match steps per buffer, and the order the steps were written
/// in (modifiers apply to the last content; relative keywords follow the last match).
struct RuleBuilder {
    var rule: Rule
    let classifications: ClassificationConfig

    /// Where the active sticky buffer stands.
    enum Active {
        /// No sticky buffer: content goes to the payload (or is moved by a legacy modifier).
        case none
        /// A sticky buffer (and transforms) named, no match keyword in it yet.
        case pending(InspectionBuffer, [BufferTransform], keyword: String)
        /// The sticky buffer's inspection, once a match keyword opened it.
        case open(Int)
    }

    var active: Active = .none
    /// Suricata's `list_set`: transforms may follow the sticky buffer until a match keyword
    /// has consumed some (then the buffer-with-transforms is a new inspection).
    var transformsAllowed = false
    /// For each inspection, the rule-wide order number of each step.
    var orders: [[Int]] = []
    var nextOrder = 0
    var explicitPriority = false
    var sawSID = false
    var sawMessage = false
    var sawClasstype = false
    var explicitFlow = false
    /// Keywords that make the rule packet-only (`dsize`, `itype`, `flags`, `flow:no_stream` ...).
    var packetKeyword: String?
    /// Names accepted as no-ops (recorded for the report).
    var noOps: [String] = []

    // The option being read, for errors.
    var keyword = ""
    var column = 0

    init(rule: Rule, classifications: ClassificationConfig) {
        self.rule = rule
        self.classifications = classifications
    }

    func problem(_ kind: RuleProblem.Kind, _ message: String) -> RuleProblem {
        RuleProblem(kind, keyword: keyword, message, file: rule.location.file, line: rule.location.line,
                    column: column, sid: rule.sid == 0 ? nil : rule.sid)
    }

    // MARK: Buffers

    /// Names `buffer` as the sticky buffer (`http.uri;`, `file.data;` ...).
    mutating func setSticky(_ buffer: InspectionBuffer) throws(RuleProblem) {
        if case .pending(let b, _, let k) = active {
            throw problem(.conflict, "the sticky buffer \(k) (\(b.rawValue)) before it has no match keyword")
        }
        try requireApplication(buffer.application, for: buffer.rawValue)
        if buffer == .payload {
            active = .none
            transformsAllowed = false
        } else {
            active = .pending(buffer, [], keyword: keyword)
            transformsAllowed = true
        }
    }

    mutating func addTransform(_ t: BufferTransform) throws(RuleProblem) {
        if case .none = active {
            throw problem(.conflict, "a transform needs a sticky buffer before it (e.g. dns.query; \(keyword); content:...)")
        }
        guard transformsAllowed else {
            throw problem(.conflict, "transforms must directly follow their sticky buffer (name the buffer again before this transform)")
        }
        switch active {
        case .none: break
        case .pending(let b, var ts, let k):
            ts.append(t)
            active = .pending(b, ts, keyword: k)
        case .open(let i):
            // Suricata accepts it: the keywords after it inspect the transformed buffer.
            active = .pending(rule.inspections[i].buffer, [t], keyword: keyword)
        }
    }

    /// Checks that a keyword for `app` can be in this rule, and narrows the rule's application.
    mutating func requireApplication(_ app: AppLayerProtocol?, for what: String) throws(RuleProblem) {
        guard let app else { return }
        if let current = rule.application {
            guard current.isCompatible(with: app) else {
                throw problem(.conflict, "\(what) is a keyword for \(app.rawValue), but the rule is for \(current.rawValue)")
            }
            rule.application = current.narrowed(with: app)
        } else {
            rule.application = app
        }
    }

    /// The inspection a new match step goes to when no buffer was named for it.
    mutating func currentInspection() -> Int {
        switch active {
        case .open(let i): return i
        case .pending(let b, let ts, _):
            let i = inspection(for: b, transforms: ts, reuse: !b.isMultiInstance)
            if !ts.isEmpty { transformsAllowed = false }
            active = .open(i)
            return i
        case .none:
            return inspection(for: .payload, transforms: [], reuse: true)
        }
    }

    var hasSticky: Bool {
        if case .none = active { return false }
        return true
    }

    mutating func inspection(for buffer: InspectionBuffer, transforms: [BufferTransform], reuse: Bool) -> Int {
        if reuse, let i = rule.inspections.firstIndex(where: { $0.buffer == buffer && $0.transforms == transforms }) {
            return i
        }
        rule.inspections.append(BufferInspection(buffer: buffer, transforms: transforms))
        orders.append([])
        return rule.inspections.count - 1
    }

    @discardableResult
    mutating func append(_ step: MatchStep, to i: Int) -> (inspection: Int, step: Int) {
        rule.inspections[i].steps.append(step)
        orders[i].append(nextOrder)
        nextOrder += 1
        return (i, rule.inspections[i].steps.count - 1)
    }

    enum StepKind { case content, pcre, byteKeyword, isDataAt }

    static func kind(_ s: MatchStep) -> StepKind? {
        switch s {
        case .content: .content
        case .pcre: .pcre
        case .byteTest, .byteJump, .byteExtract, .byteMath: .byteKeyword
        case .isDataAt: .isDataAt
        case .bufferSize, .base64Decode: nil
        }
    }

    /// The last step of one of `kinds`, in the active sticky buffer when there is one, else
    /// anywhere in the rule (Suricata's `DetectGetLastSMFromLists`).
    func lastStep(of kinds: Set<StepKind>) -> (inspection: Int, step: Int)? {
        var best: (Int, Int, Int)?
        func scan(_ i: Int) {
            for (j, s) in rule.inspections[i].steps.enumerated() {
                guard let k = RuleBuilder.kind(s), kinds.contains(k) else { continue }
                let o = orders[i][j]
                if best == nil || o > best!.2 { best = (i, j, o) }
            }
        }
        switch active {
        case .open(let i): scan(i)
        case .pending(let b, let ts, _):
            if !b.isMultiInstance, let i = rule.inspections.firstIndex(where: { $0.buffer == b && $0.transforms == ts }) { scan(i) }
        case .none:
            for i in rule.inspections.indices { scan(i) }
        }
        return best.map { ($0.0, $0.1) }
    }

    /// The step just before `step` in the same inspection that is a content or a pcre.
    func previousMatch(in i: Int, before step: Int) -> Int? {
        var j = step - 1
        while j >= 0 {
            switch rule.inspections[i].steps[j] {
            case .content, .pcre: return j
            default: j -= 1
            }
        }
        return nil
    }

    /// The last content (for modifiers), or a refusal naming what was expected.
    func lastContent() throws(RuleProblem) -> (inspection: Int, step: Int) {
        guard let p = lastStep(of: [.content]) else {
            if case .none = active {
                throw problem(.conflict, "needs a content before it")
            }
            throw problem(.conflict, "needs a content before it in the active sticky buffer")
        }
        return p
    }

    func content(at p: (inspection: Int, step: Int)) -> ContentMatch {
        rule.inspections[p.inspection].steps[p.step].content!
    }

    mutating func setContent(_ c: ContentMatch, at p: (inspection: Int, step: Int)) {
        rule.inspections[p.inspection].steps[p.step] = .content(c)
    }

    /// A legacy content modifier (`http_uri` ...): moves the payload's last content into
    /// `buffer` (Suricata's `DetectEngineContentModifierBufferSetup`).
    mutating func applyContentModifier(_ buffer: InspectionBuffer) throws(RuleProblem) {
        if hasSticky {
            throw problem(.conflict, "a content modifier cannot follow a sticky buffer; name the buffer with its sticky keyword (\(buffer.rawValue)) or reset with pkt_data first")
        }
        try requireApplication(buffer.application, for: keyword)
        guard let p = rule.inspections.firstIndex(where: { $0.buffer == .payload && $0.transforms.isEmpty }) else {
            throw problem(.conflict, "needs a content before it")
        }
        var last: (Int, Int)?
        for (j, s) in rule.inspections[p].steps.enumerated() where s.content != nil {
            if last == nil || orders[p][j] > last!.1 { last = (j, orders[p][j]) }
        }
        guard let (j, order) = last else { throw problem(.conflict, "needs a content before it") }
        let c = rule.inspections[p].steps[j].content!
        if c.rawBytes { throw problem(.conflict, "cannot be used on a content with rawbytes") }
        rule.inspections[p].steps.remove(at: j)
        orders[p].remove(at: j)
        let target = inspection(for: buffer, transforms: [], reuse: true)
        rule.inspections[target].steps.append(.content(c))
        orders[target].append(order)
    }

    // MARK: Byte variables

    mutating func defineVariable(_ name: String) throws(RuleProblem) -> Int {
        guard HeaderParser.isVariableName(name), let f = name.utf8.first, !(f >= 0x30 && f <= 0x39) else {
            throw problem(.invalidValue, "'\(name)' is not a variable name (a letter, then letters, digits, '_')")
        }
        if let i = rule.byteVariables.firstIndex(of: name) { return i }
        rule.byteVariables.append(name)
        return rule.byteVariables.count - 1
    }

    /// A number or a byte variable defined earlier (`depth:len`, `byte_test:...,var`).
    func value(_ text: String, what: String, range: ClosedRange<Int64>) throws(RuleProblem) -> ByteValue {
        let t = text.trimmingBlanks
        if let f = t.utf8.first, (f >= 0x41 && f <= 0x5A) || (f >= 0x61 && f <= 0x7A) || f == 0x5F {
            guard let i = rule.byteVariables.firstIndex(of: t) else {
                throw problem(.invalidValue, "'\(t)' for \(what) is neither a number nor a variable set by an earlier byte_extract or byte_math")
            }
            return .variable(index: i)
        }
        return .literal(try number(t, what: what, range: range))
    }

    /// A decimal (or 0x hexadecimal) integer in `range`.
    func number(_ text: String, what: String, range: ClosedRange<Int64>) throws(RuleProblem) -> Int64 {
        let t = text.trimmingBlanks
        var v: Int64?
        if t.hasPrefix("0x") || t.hasPrefix("0X") {
            v = Int64(t.dropFirst(2), radix: 16)
        } else if t.utf8.allSatisfy({ ($0 >= 0x30 && $0 <= 0x39) || $0 == 0x2D || $0 == 0x2B }) {
            v = Int64(t)
        }
        guard let n = v else { throw problem(.invalidValue, "expected a number for \(what), found '\(t.prefix(40))'") }
        guard range.contains(n) else { throw problem(.invalidValue, "\(what) \(n) is out of range \(range.lowerBound)-\(range.upperBound)") }
        return n
    }
}

/// Loads rule files' text into a `RuleSet` and a `RuleLoadReport`: every enabled rule is
/// either loaded or refused with its reason; commented-out rules are counted and ignored.
///
/// Reading files is the caller's business (the CLI reads them and hands the text in).
/// A file's lines are read as Suricata reads them: a line ending with `\` continues on the
/// next; blank lines and `#` comments are skipped; a comment that holds a rule
/// (`# alert ...`) is counted as commented out.
public struct RuleSetLoader: Sendable {
    public var variables: RuleVariables
    public var classifications: ClassificationConfig
    public private(set) var rules: [Rule] = []
    public private(set) var report = RuleLoadReport()
    /// Header fields repeat across a set ($HOME_NET, $EXTERNAL_NET, $HTTP_PORTS ...): each
    /// is resolved once.
    private var addressCache: [AddressSpec: Result<AddressSet, RuleProblem>] = [:]
    private var portCache: [PortSpec: Result<PortSet, RuleProblem>] = [:]

    public init(variables: RuleVariables = .suricataDefaults, classifications: ClassificationConfig = ClassificationConfig()) {
        self.variables = variables
        self.classifications = classifications
    }

    /// One logical rule of a file: its text and the line it starts on.
    public struct RuleLine: Sendable {
        public var text: Substring
        public var line: Int
        public var commentedOut: Bool
    }

    /// Splits a file's text into rules (continuations joined), with their first lines.
    public static func ruleLines(_ text: String) -> [RuleLine] {
        var out: [RuleLine] = []
        var pending = ""
        var pendingLine = 0
        let utf8 = text.utf8
        var lineStart = utf8.startIndex
        var n = 0
        // Lines are cut on the UTF-8 bytes: far cheaper than by Character on large files.
        while lineStart < utf8.endIndex || (lineStart == utf8.endIndex && !pending.isEmpty) {
            let lineEnd = utf8[lineStart...].firstIndex(of: 0x0A) ?? utf8.endIndex
            n += 1
            var line = text[lineStart..<lineEnd]
            lineStart = lineEnd == utf8.endIndex ? utf8.endIndex : utf8.index(after: lineEnd)
            if line.utf8.last == 0x0D { line = line.dropLast() }
            if !pending.isEmpty {
                if line.utf8.last == 0x5C {
                    pending += line.dropLast()
                } else {
                    pending += line
                    out.append(RuleLine(text: Substring(pending), line: pendingLine, commentedOut: false))
                    pending = ""
                }
                if lineEnd == utf8.endIndex { break }
                continue
            }
            let trimmed = line.drop(while: { $0 == " " || $0 == "\t" })
            if let first = trimmed.utf8.first {
                if first == 0x23 {
                    let body = trimmed.drop(while: { $0 == "#" || $0 == " " || $0 == "\t" })
                    if looksLikeRule(body) { out.append(RuleLine(text: body, line: n, commentedOut: true)) }
                } else if trimmed.utf8.last == 0x5C {
                    pending = String(trimmed.dropLast())
                    pendingLine = n
                } else {
                    out.append(RuleLine(text: trimmed, line: n, commentedOut: false))
                }
            }
            if lineEnd == utf8.endIndex { break }
        }
        if !pending.isEmpty { out.append(RuleLine(text: Substring(pending), line: pendingLine, commentedOut: false)) }
        return out
    }

    static func looksLikeRule(_ s: Substring) -> Bool {
        guard let space = s.firstIndex(where: { $0 == " " || $0 == "\t" }) else { return false }
        return RuleAction(rawValue: s[..<space].lowercased()) != nil && s.contains("(")
    }

    /// Parses every rule of one file's text.
    public mutating func add(text: String, file: String) {
        report.files += 1
        for r in RuleSetLoader.ruleLines(text) {
            if r.commentedOut {
                report.commentedOut += 1
                continue
            }
            add(rule: String(r.text), location: RuleLocation(file: file, line: r.line))
        }
    }

    /// Parses one rule.
    public mutating func add(rule text: String, location: RuleLocation) {
        report.enabled += 1
        switch RuleParser.parse(text, location: location, classifications: classifications) {
        case .failure(let p):
            report.refused.append(p)
        case .success(var rule):
            if let c = rule.classification, classifications.classification(named: c.name) == nil {
                report.unknownClasstypes[c.name, default: 0] += 1
            }
            switch resolveHeader(&rule) {
            case .failure(let p): report.refused.append(p)
            case .success: rules.append(rule)
            }
        }
    }

    mutating func resolveHeader(_ rule: inout Rule) -> Result<Void, RuleProblem> {
        func located(_ p: RuleProblem) -> RuleProblem {
            var p = p
            p.file = rule.location.file
            p.line = rule.location.line
            p.sid = rule.sid
            return p
        }
        func address(_ spec: AddressSpec) -> Result<AddressSet, RuleProblem> {
            if let r = addressCache[spec] { return r }
            let r = variables.resolve(spec)
            addressCache[spec] = r
            return r
        }
        func port(_ spec: PortSpec) -> Result<PortSet, RuleProblem> {
            if let r = portCache[spec] { return r }
            let r = variables.resolve(spec)
            portCache[spec] = r
            return r
        }
        do {
            rule.resolved.source = try address(rule.source).get()
            rule.resolved.destination = try address(rule.destination).get()
            rule.resolved.sourcePorts = try port(rule.sourcePorts).get()
            rule.resolved.destinationPorts = try port(rule.destinationPorts).get()
        } catch {
            return .failure(located(error))
        }
        return .success(())
    }

    /// The loaded rules and the report. A `gid:sid` loaded twice keeps the higher `rev`
    /// (the first on a tie), as Suricata does; the other is refused as a duplicate.
    public func finish() -> (RuleSet, RuleLoadReport) {
        var report = self.report
        var index: [UInt64: Int] = [:]
        var kept: [Rule] = []
        kept.reserveCapacity(rules.count)
        for r in rules {
            let key = UInt64(r.gid) << 32 | UInt64(r.sid)
            if let i = index[key] {
                let other = kept[i]
                let (keep, drop) = r.rev > other.rev ? (r, other) : (other, r)
                kept[i] = keep
                report.refused.append(RuleProblem(.conflict, keyword: "sid",
                    "duplicate of gid \(r.gid) sid \(r.sid) at \(keep.location) (rev \(keep.rev)); the higher rev is kept",
                    file: drop.location.file, line: drop.location.line, column: 0, sid: r.sid))
            } else {
                index[key] = kept.count
                kept.append(r)
            }
        }
        report.loaded = kept.count
        report.refused.sort { ($0.file, $0.line) < ($1.file, $1.line) }
        return (RuleSet(rules: kept), report)
    }
}

/// The rules that loaded, in file order.
public struct RuleSet: Sendable {
    public var rules: [Rule]
    public init(rules: [Rule]) { self.rules = rules }
}

/// What loading a rule set gave: counts, and every refused rule with its reason.
public struct RuleLoadReport: Sendable {
    public var files = 0
    /// Rules that are not commented out (what Suricata would try to load).
    public var enabled = 0
    /// `# alert ...` lines: counted, not loaded.
    public var commentedOut = 0
    public var loaded = 0
    public var refused: [RuleProblem] = []
    /// Classtypes rules named that classification.config does not define (loaded with priority 3).
    public var unknownClasstypes: [String: Int] = [:]

    public init() {}

    /// Loaded rules over enabled rules (1 for an empty set).
    public var shareLoaded: Double { enabled == 0 ? 1 : Double(loaded) / Double(enabled) }

    /// Refusals per reason (`RuleProblem.reason`), most frequent first, then by name.
    public var reasons: [(reason: String, count: Int)] {
        var counts: [String: Int] = [:]
        for p in refused { counts[p.reason, default: 0] += 1 }
        return counts.map { ($0.key, $0.value) }.sorted { $0.1 != $1.1 ? $0.1 > $1.1 : $0.0 < $1.0 }
    }
}

extension RuleSetLoader {
    /// Parses a file's bytes. A file that is not valid UTF-8 is decoded with replacement
    /// characters, and each rule that holds one is refused (Suricata refuses such rules).
    public mutating func add(bytes: [UInt8], file: String) {
        if let text = String(validating: bytes, as: UTF8.self) {
            add(text: text, file: file)
            return
        }
        report.files += 1
        let text = String(decoding: bytes, as: UTF8.self)
        for r in RuleSetLoader.ruleLines(text) {
            if r.commentedOut { report.commentedOut += 1; continue }
            if r.text.unicodeScalars.contains("\u{FFFD}") {
                report.enabled += 1
                report.refused.append(RuleProblem(.syntax, keyword: nil, "the rule is not valid UTF-8 text",
                                                  file: file, line: r.line, column: 0, sid: RuleParser.scanSID(String(r.text))))
                continue
            }
            add(rule: String(r.text), location: RuleLocation(file: file, line: r.line))
        }
    }
}

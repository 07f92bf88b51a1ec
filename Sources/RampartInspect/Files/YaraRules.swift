import CYara

/// YARA rules (`spec.files.yara`, `rampart inspect --yara`), compiled once with Debian's
/// libyara and shared read-only by every worker; each worker scans with its own
/// `YaraScanner`.
///
/// ```swift
/// let rules = try YaraRules.compile([("rule eicar { strings: $a = \"EICAR\" condition: $a }", "eicar.yar")])
/// rules.count   // 1
/// ```
public final class YaraRules: @unchecked Sendable {
    let rules: UnsafeMutablePointer<YR_RULES>
    /// Rules compiled.
    public let count: Int

    /// A compile error, at its place.
    public struct Problem: Error, Sendable, CustomStringConvertible {
        public var file: String
        public var line: Int
        public var message: String
        public var description: String { "\(file):\(line):1: \(message)" }
    }

    /// libyara's process-wide setup, once (Swift runs a global's initializer once, thread-safely).
    static let initialized: Bool = yr_initialize() == ERROR_SUCCESS

    private init(rules: UnsafeMutablePointer<YR_RULES>, count: Int) {
        self.rules = rules
        self.count = count
    }

    deinit { yr_rules_destroy(rules) }

    /// Compiles sources (their text and the file each came from) into one rule set; the
    /// first errors (each with file:line) refuse it.
    public static func compile(_ sources: [(text: String, file: String)]) throws(Problem) -> YaraRules {
        guard initialized else { throw Problem(file: sources.first?.file ?? "-", line: 0, message: "libyara failed to initialise") }
        var compiler: UnsafeMutablePointer<YR_COMPILER>?
        guard yr_compiler_create(&compiler) == ERROR_SUCCESS, let compiler else {
            throw Problem(file: sources.first?.file ?? "-", line: 0, message: "libyara: no memory for a compiler")
        }
        defer { yr_compiler_destroy(compiler) }
        final class Errors { var list: [Problem] = []; var file = "" }
        let errors = Errors()
        let box = Unmanaged.passRetained(errors)
        defer { box.release() }
        yr_compiler_set_callback(compiler, { level, _, line, _, message, user in
            let errors = Unmanaged<Errors>.fromOpaque(user!).takeUnretainedValue()
            guard level == YARA_ERROR_LEVEL_ERROR else { return }
            errors.list.append(Problem(file: errors.file, line: Int(line), message: message.map { String(cString: $0) } ?? "error"))
        }, box.toOpaque())
        for (text, file) in sources {
            errors.file = file
            // Each file its own namespace: two files may each hold a rule of one name.
            let failures = yr_compiler_add_string(compiler, text, file)
            if failures > 0 { break }
        }
        if let first = errors.list.first {
            var problem = first
            if errors.list.count > 1 { problem.message += " (and \(errors.list.count - 1) more)" }
            throw problem
        }
        var rules: UnsafeMutablePointer<YR_RULES>?
        guard yr_compiler_get_rules(compiler, &rules) == ERROR_SUCCESS, let rules else {
            throw Problem(file: sources.first?.file ?? "-", line: 0, message: "libyara: the rules could not be built")
        }
        return YaraRules(rules: rules, count: Int(rules.pointee.num_rules))
    }
}

/// One worker's YARA scanner over the shared rules; the names of the rules a buffer matched
/// are kept in a fixed array (no allocation in libyara's callback).
final class YaraScanner {
    let rules: YaraRules
    var scanner: UnsafeMutablePointer<YR_SCANNER>?
    /// The matched rules' identifiers (libyara's strings, valid while the rules live).
    var matched: [UnsafePointer<CChar>?]
    var matchedCount = 0
    static let maximumMatches = 8

    init(rules: YaraRules) {
        self.rules = rules
        matched = [UnsafePointer<CChar>?](repeating: nil, count: YaraScanner.maximumMatches)
        var s: UnsafeMutablePointer<YR_SCANNER>?
        if yr_scanner_create(rules.rules, &s) == ERROR_SUCCESS { scanner = s }
        if let scanner {
            yr_scanner_set_callback(scanner, { _, message, data, user in
                guard message == CALLBACK_MSG_RULE_MATCHING, let data, let user else { return CALLBACK_CONTINUE }
                let me = Unmanaged<YaraScanner>.fromOpaque(user).takeUnretainedValue()
                if me.matchedCount < YaraScanner.maximumMatches {
                    me.matched[me.matchedCount] = rampart_yara_rule_identifier(data.assumingMemoryBound(to: YR_RULE.self))
                    me.matchedCount += 1
                }
                return CALLBACK_CONTINUE
            }, Unmanaged.passUnretained(self).toOpaque())
            yr_scanner_set_timeout(scanner, 2)
        }
    }

    deinit { if let scanner { yr_scanner_destroy(scanner) } }

    /// Scans `bytes`; the number of rules matched (their names in `matched`).
    func scan(_ bytes: UnsafeRawBufferPointer) -> Int {
        matchedCount = 0
        guard let scanner else { return 0 }
        let base = bytes.baseAddress?.assumingMemoryBound(to: UInt8.self)
        _ = yr_scanner_scan_mem(scanner, base, bytes.count)
        return matchedCount
    }

    /// The matched rules' names (once per malicious file).
    var names: [String] { (0..<matchedCount).compactMap { matched[$0].map { String(cString: $0) } } }
}

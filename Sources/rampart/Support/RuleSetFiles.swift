#if canImport(Glibc)
import RampartPOSIX
import Glibc
#endif
import RampartInspect
import RampartRules

/// Reading a rule set from disk, as `rampart rules check`, `rampart inspect --rules` and
/// `rampart bench engine --rules` all do: PATH (a file, or a folder's *.rules in name
/// order), `--vars` in suricata.yaml's layout, classification.config from `--classification`
/// or PATH's folder.
struct RuleSetFiles {
    var set: RuleSet
    var report: RuleLoadReport
    var files: [String]
    var classificationSource: String
    /// Reading and parsing, in seconds.
    var seconds: Double

    /// - Throws: `FileReadError` (a path cannot be read) or `RuleProblem` (a malformed
    ///   `--vars` or classification file).
    static func load(path: String, vars: String?, classification: String?, progress: Bool) throws -> RuleSetFiles {
        let started = monotonicSeconds()
        let files = try ruleFiles(path)
        var variables = RuleVariables.suricataDefaults
        var classifications = ClassificationConfig()
        var classificationSource = "none (unknown classtypes get priority 3)"
        if let vars {
            variables = try RuleVariables.parse(yaml: try readTextFile(vars), file: vars).get()
        }
        let folder = isDirectory(path) ? path : parentFolder(path)
        let classificationPath = classification
            ?? (isRegularFile(folder + "/classification.config") ? folder + "/classification.config" : nil)
        if let classificationPath {
            classifications = try ClassificationConfig.parse(try readTextFile(classificationPath), file: classificationPath).get()
            classificationSource = classificationPath
        }
        var loader = RuleSetLoader(variables: variables, classifications: classifications)
        var bar = ProgressBar(label: "loading rules", enabled: progress && files.count > 1)
        for (n, file) in files.enumerated() {
            bar.update(fraction: Double(n) / Double(files.count), detail: baseName(file))
            do {
                loader.add(bytes: try readFileBytes(file, limit: 256 << 20), file: file)
            } catch {
                bar.finish()
                throw error
            }
        }
        bar.finish()
        let (set, report) = loader.finish()
        return RuleSetFiles(set: set, report: report, files: files, classificationSource: classificationSource,
                            seconds: monotonicSeconds() - started)
    }
}

/// A rule set compiled for the engine, with what loading and compiling took.
struct CompiledRules {
    var files: RuleSetFiles
    var rules: DetectionRuleSet
    var compileSeconds: Double

    static func load(path: String, vars: String?, classification: String?, progress: Bool,
                     engine: PrefilterEngine = .preferred) throws -> CompiledRules {
        let files = try RuleSetFiles.load(path: path, vars: vars, classification: classification, progress: progress)
        let started = monotonicSeconds()
        let rules = try DetectionRuleSet(files.set, engine: engine)
        let seconds = monotonicSeconds() - started
        #if canImport(Glibc)
        // Parsing and compiling freed far more than they keep (rule texts, Vectorscan's
        // compiler): give those pages back, or the process keeps them resident for its life.
        // (Glibc's Swift module does not declare malloc_trim.)
        if let trim = dlsym(dlopen(nil, RTLD_NOW), "malloc_trim") {
            _ = unsafeBitCast(trim, to: (@convention(c) (Int) -> Int32).self)(0)
        }
        #endif
        return CompiledRules(files: files, rules: rules, compileSeconds: seconds)
    }

    /// The load summary `rampart inspect --rules` prints on standard error.
    var summary: String {
        let r = files.report
        let d = rules.report
        var lines: [String] = []
        lines.append("rules: \(grouped(r.enabled)) enabled in \(grouped(files.files.count)) file\(files.files.count == 1 ? "" : "s"), \(grouped(r.loaded)) parsed, \(grouped(d.active)) active (\(fixed(r.enabled == 0 ? 100 : Double(d.active) / Double(r.enabled) * 100, places: 2)) %); read in \(fixed(files.seconds, places: 2)) s, compiled in \(fixed(compileSeconds, places: 2)) s")
        lines.append("  prefilter: \(d.engine.rawValue), \(grouped(d.databases)) databases, \(grouped(d.patterns)) patterns, \(grouped(d.databaseBytes)) bytes; \(grouped(d.prefiltered)) rules prefiltered, \(grouped(d.ipOnly)) by address, \(grouped(d.alwaysEvaluated)) always evaluated; pcre: \(grouped(d.expressions)) (\(grouped(d.jitExpressions)) JIT)")
        var reasons: [String: Int] = [:]
        for p in r.refused { reasons["parser: " + p.reason, default: 0] += 1 }
        for (reason, count) in d.reasons { reasons["matcher: " + reason, default: 0] += count }
        if !reasons.isEmpty {
            lines.append("  refused \(grouped(r.refused.count + d.refused.count)) (rampart rules check PATH --matcher lists each):")
            for (reason, count) in reasons.sorted(by: { $0.value != $1.value ? $0.value > $1.value : $0.key < $1.key }) {
                lines.append("    \(grouped(count))  \(reason)")
            }
        }
        return lines.joined(separator: "\n")
    }
}

import FoundationEssentials
import RampartPOSIX
#if canImport(Glibc)
import Glibc
#endif
import RampartInspect
import RampartPolicy
import RampartRules

/// The firewall's `spec.rules`: a `.rules` file, or a folder whose `*.rules` files are read
/// in name order, loaded with Suricata's default variables and the folder's
/// classification.config, and compiled for the engine. Rules that do not load are counted
/// in the summary (never loaded to silently never match); a path that cannot be read
/// refuses the configuration.
public enum SignatureRules {
    public static func load(path: String) throws(PolicyErrors) -> (rules: DetectionRuleSet, summary: String) {
        func refuse(_ message: String) -> PolicyErrors {
            PolicyErrors([PolicyError(file: path, line: 0, column: 0, message: message)])
        }
        // FoundationEssentials only: Foundation would link ICU's locale data (34 MB) into
        // the firewall's image.
        var status = stat()
        guard stat(path, &status) == 0 else {
            throw refuse("spec.rules: no such file or folder")
        }
        let files: [String]
        let folder: String
        if status.st_mode & S_IFMT == S_IFDIR {
            let names = (try? FileManager.default.contentsOfDirectory(atPath: path)) ?? []
            files = names.filter { $0.hasSuffix(".rules") }.sorted().map { path + "/" + $0 }
            folder = path
            if files.isEmpty { throw refuse("spec.rules: the folder has no *.rules file") }
        } else {
            files = [path]
            folder = PathName.folder(of: path)
        }
        var classifications = ClassificationConfig()
        let classification = (folder.isEmpty ? "." : folder) + "/classification.config"
        if let text = try? String(contentsOfFile: classification, encoding: .utf8) {
            switch ClassificationConfig.parse(text, file: classification) {
            case .success(let c): classifications = c
            case .failure(let p): throw refuse("\(p)")
            }
        }
        var loader = RuleSetLoader(classifications: classifications)
        for file in files {
            guard let data = FileManager.default.contents(atPath: file) else { throw refuse("spec.rules: cannot read \(file)") }
            loader.add(bytes: [UInt8](data), file: file)
        }
        let (set, report) = loader.finish()
        let rules: DetectionRuleSet
        do { rules = try DetectionRuleSet(set) } catch { throw refuse("spec.rules: \(error)") }
        let refused = report.refused.count + rules.report.refused.count
        var reasons: [String: Int] = [:]
        for p in report.refused { reasons[p.reason, default: 0] += 1 }
        for (reason, count) in rules.report.reasons { reasons[reason, default: 0] += count }
        let top = reasons.sorted { $0.value > $1.value }.prefix(5).map { "\($0.value) \($0.key)" }.joined(separator: ", ")
        let summary = "\(rules.report.active) of \(report.enabled) rules active from \(files.count) file(s)"
            + (refused > 0 ? "; \(refused) refused (\(top)); `rampart rules check \(path) --matcher` lists each" : "")
        return (rules, summary)
    }
}

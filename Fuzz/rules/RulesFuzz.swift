// libFuzzer target for the Suricata rule language: the rule parser (header, every keyword,
// the whole-rule checks, the fast-pattern choice), a rule file's line splitting and loading
// with variable resolution, the variables file reader and classification.config.
// Built by Fuzz/rules/build.sh as one module together with RampartWire and RampartRules
// (so `import RampartWire` in those files is a same-module import), linked with PCRE2.

@_cdecl("LLVMFuzzerTestOneInput")
public func rulesFuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    let text = String(decoding: bytes, as: UTF8.self)
    // One rule, as a line of a file would be.
    if case .success(let rule) = RuleParser.parse(text, location: RuleLocation(file: "fuzz.rules", line: 1)) {
        let v = RuleVariables.suricataDefaults
        _ = v.resolve(rule.source)
        _ = v.resolve(rule.destination)
        _ = v.resolve(rule.sourcePorts)
        _ = v.resolve(rule.destinationPorts)
        if let fp = rule.fastPattern {
            precondition(fp.inspection < rule.inspections.count && fp.step < rule.inspections[fp.inspection].steps.count)
            precondition(!fp.pattern.isEmpty)
        }
    }
    // The same bytes as a whole file.
    var loader = RuleSetLoader()
    loader.add(bytes: bytes, file: "fuzz.rules")
    let (set, report) = loader.finish()
    precondition(report.loaded == set.rules.count && report.loaded + report.refused.count == report.enabled)
    _ = RuleVariables.parse(yaml: text, file: "vars.yaml")
    _ = ClassificationConfig.parse(text, file: "classification.config")
    return 0
}

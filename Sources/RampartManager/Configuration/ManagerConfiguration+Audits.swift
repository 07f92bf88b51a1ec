import RampartConfig

extension ManagerConfiguration {
    /// `spec.audits` (docs/image-trust.md, "Runtime audits"): read with the same reader as
    /// the rest; every number within its range, with the file:line:column of a bad one.
    static func readAudits(_ spec: [String: YAMLNode], into configuration: inout ManagerConfiguration, reader r: ConfigReader) {
        guard let node = spec["audits"],
              let audits = r.fields(node, "spec.audits", allowed: ["enabled", "learningSeconds", "scan", "maxProfiles", "maxEntriesPerProfile"])
        else { return }
        var settings = AuditSettings()
        func number(_ node: YAMLNode?, _ name: String, _ range: ClosedRange<Double>) -> Double? {
            guard let node else { return nil }
            if let value = node.text.flatMap(Double.init), range.contains(value) { return value }
            r.error(node.location, "\(name) must be a number from \(Int(range.lowerBound)) to \(Int(range.upperBound))")
            return nil
        }
        if let node = audits["enabled"], let value = r.bool(node, "spec.audits.enabled") { settings.enabled = value }
        if let value = number(audits["learningSeconds"], "spec.audits.learningSeconds", 0 ... 31_536_000) { settings.learningSeconds = value }
        if let value = number(audits["maxProfiles"], "spec.audits.maxProfiles", 1 ... 1_000_000) { settings.maxProfiles = Int(value) }
        if let value = number(audits["maxEntriesPerProfile"], "spec.audits.maxEntriesPerProfile", 1 ... 100_000) {
            settings.maxEntriesPerProfile = Int(value)
        }
        if let scanNode = audits["scan"], let scan = r.fields(scanNode, "spec.audits.scan", allowed: ["windowSeconds", "peers", "ports"]) {
            if let value = number(scan["windowSeconds"], "spec.audits.scan.windowSeconds", 1 ... 86_400) { settings.scanWindowSeconds = value }
            if let value = number(scan["peers"], "spec.audits.scan.peers", 2 ... 100_000) { settings.scanPeers = Int(value) }
            if let value = number(scan["ports"], "spec.audits.scan.ports", 2 ... 65_536) { settings.scanPorts = Int(value) }
        }
        if configuration.logs == nil && settings.enabled {
            r.error(node.location, "spec.audits needs spec.logs: audits are made from the records the log store receives")
        }
        configuration.audits = settings
    }
}

import RampartConfig

extension PolicyDocument {
    /// Problems that do not make the policy invalid but that a reviewer must see: ways in
    /// which it allows every session (a firewall that lets everything through is a
    /// configuration mistake far more often than an intention). `rampart policy validate`
    /// prints them as `FILE:LINE:COLUMN: warning: ...` and still exits 0.
    ///
    /// ```swift
    /// for warning in document.warnings { print("\(warning.file):\(warning.line):\(warning.column): warning: \(warning.message)") }
    /// ```
    public var warnings: [PolicyError] {
        var out: [PolicyError] = []
        let defaultsAt = defaultsLocation ?? SourceLocation(line: 1, column: 1)
        for rule in rules where !rule.disabled && rule.action == .allow && rule.allowsEverything(zoneCount: zones.count) {
            out.append(PolicyError(
                file: rule.file, line: rule.location.line, column: rule.location.column,
                message: "rule '\(rule.name)' allows every session no earlier rule decides (any zone, address, application"
                    + " and service): the rules after it and the defaults never apply; name what it should allow"))
        }
        if intrazone.action == .allow && interzone.action == .allow {
            out.append(PolicyError(
                file: file, line: defaultsAt.line, column: defaultsAt.column,
                message: "defaults.intrazone and defaults.interzone both allow: every session no rule decides is allowed;"
                    + " set 'interzone: {action: deny}' (the default) and allow what is needed with rules"))
        } else if intrazone.action == .allow && implicitZone == nil && zones.count == 1 && !zones[0].isTunnelZone {
            out.append(PolicyError(
                file: file, line: defaultsAt.line, column: defaultsAt.column,
                message: "every address is in zone '\(zones[0].name)' (the only zone) and defaults.intrazone allows:"
                    + " every session no rule decides is allowed; declare zones, or set 'intrazone: {action: deny}'"))
        }
        return out
    }
}

extension Rule {
    /// True when the rule matches every session: any zone on both sides (or every zone
    /// listed), any address on both sides, any application, any service.
    func allowsEverything(zoneCount: Int) -> Bool {
        func everyZone(_ zones: [Int]?) -> Bool {
            guard let zones else { return true }
            return zoneCount > 0 && Set(zones).count >= zoneCount
        }
        return everyZone(fromZones) && everyZone(toZones) && source.isAny && destination.isAny
            && applications == nil && services == .any
    }
}

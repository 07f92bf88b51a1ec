/// classification.config: `config classification: SHORTNAME,DESCRIPTION,PRIORITY` lines
/// that give each `classtype` its description and default priority.
public struct ClassificationConfig: Sendable {
    public private(set) var classes: [String: Classification] = [:]

    public init(_ classes: [Classification] = []) {
        for c in classes { self.classes[c.name.lowercased()] = c }
    }

    public func classification(named name: String) -> Classification? { classes[name.lowercased()] }

    /// Parses the file's text; `#` comments and blank lines are skipped, anything else that
    /// is not a classification line is refused with its line.
    public static func parse(_ text: String, file: String) -> Result<ClassificationConfig, RuleProblem> {
        var config = ClassificationConfig()
        for (n, raw) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let line = String(raw).trimmingBlanks.trimmingCharacters(in: "\r")
            if line.isEmpty || line.hasPrefix("#") { continue }
            func fail(_ m: String) -> Result<ClassificationConfig, RuleProblem> {
                .failure(RuleProblem(.invalidValue, keyword: "classification", m, file: file, line: n + 1, column: 1))
            }
            let prefix = "config classification:"
            guard line.lowercased().hasPrefix(prefix) else {
                return fail("expected 'config classification: SHORTNAME,DESCRIPTION,PRIORITY'")
            }
            let fields = line.dropFirst(prefix.count).split(separator: ",", omittingEmptySubsequences: false)
                .map { String($0).trimmingBlanks }
            guard fields.count == 3, !fields[0].isEmpty, !fields[1].isEmpty else {
                return fail("expected three comma-separated fields: SHORTNAME,DESCRIPTION,PRIORITY")
            }
            guard fields[0].utf8.allSatisfy({ $0 > 0x20 && $0 < 0x7F }) else {
                return fail("the short name '\(fields[0])' must be one word")
            }
            guard let priority = Int(fields[2]), priority >= 1, priority <= 255 else {
                return fail("priority '\(fields[2])' must be a number 1-255")
            }
            config.classes[fields[0].lowercased()] = Classification(name: fields[0], description: fields[1], priority: priority)
        }
        return .success(config)
    }
}

extension String {
    func trimmingCharacters(in set: Character) -> String {
        var s = Substring(self)
        while s.first == set { s = s.dropFirst() }
        while s.last == set { s = s.dropLast() }
        return String(s)
    }
}

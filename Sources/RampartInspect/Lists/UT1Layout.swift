/// The folder layout of the UT1 category lists (Université Toulouse 1 Capitole, the lists
/// squidGuard and e2guardian users know): one folder per category, named for it, holding
///
/// - `domains`: one domain per line (IPv4 addresses among them), each covering its
///   subdomains;
/// - `urls`: one `host/path` per line, no scheme;
/// - `expressions`, `very_restrictive_expression`: regular expressions over URLs — not
///   loaded (named in the summary);
/// - `usage`: `black` or `white` and aliases of the category — not loaded.
///
/// Some categories are aliases of others (`ads` → `publicite`, `porn` → `adult`): symbolic
/// links in the published repository, or a file holding the other category's name when
/// checked out without links. An alias is not loaded twice.
///
/// Walking the folders is the caller's (it does I/O); these are the rules it follows.
public enum UT1Layout {
    /// The files of a category folder that hold entries, and what their lines are.
    public static let entryFiles: [(file: String, content: IndicatorListContent)] = [
        ("domains", .domains), ("urls", .urls),
    ]

    /// Known files of a category folder that are not loaded, and why.
    public static let skippedFiles: [String: String] = [
        "expressions": "regular expressions are not loaded",
        "very_restrictive_expression": "regular expressions are not loaded",
        "usage": "usage notes",
    ]

    /// The list of one file of a category folder.
    public static func list(category: String, file: String, path: String) -> IndicatorList {
        let content = entryFiles.first { $0.file == file }?.content ?? .any
        return IndicatorList(file: path, format: .plain, content: content, category: category, source: "ut1/\(category)/\(file)")
    }

    /// The category a top-level file aliases: its text is one name, that of a sibling
    /// category folder. nil for anything else (a README, a licence).
    public static func aliasTarget(_ contents: [UInt8], categories: Set<String>) -> String? {
        guard contents.count <= 64 else { return nil }
        let name = String(decoding: contents, as: UTF8.self).trimmingCharacters(in: " \t\n\r")
        return categories.contains(name) ? name : nil
    }
}

extension String {
    fileprivate func trimmingCharacters(in set: String) -> String {
        var s = Substring(self)
        while let c = s.last, set.contains(c) { s.removeLast() }
        while let c = s.first, set.contains(c) { s.removeFirst() }
        return String(s)
    }
}

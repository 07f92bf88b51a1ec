/// Names a workload may use: models (`gpt-4o-mini`, `claude-*`) or MCP tools
/// (`search_*`). Patterns are exact names or `*` wildcards (any run of characters), compared
/// case-sensitively as the APIs do. An empty list permits nothing; no list permits all.
struct AIAllowList: Sendable, Equatable {
    let patterns: [[UInt8]]

    init(_ patterns: [String]) { self.patterns = patterns.map { Array($0.utf8) } }

    func permits(_ name: UnsafeRawBufferPointer) -> Bool {
        for p in patterns where AIAllowList.glob(p, name) { return true }
        return false
    }

    func permits(_ name: String) -> Bool {
        var bytes = Array(name.utf8)
        return bytes.withUnsafeMutableBytes { permits(UnsafeRawBufferPointer($0)) }
    }

    /// `*` matches any run (greedy with backtracking to the last star: linear in practice).
    static func glob(_ p: [UInt8], _ s: UnsafeRawBufferPointer) -> Bool {
        var pi = 0, si = 0, star = -1, mark = 0
        while si < s.count {
            if pi < p.count && p[pi] != UInt8(ascii: "*") && p[pi] == s[si] {
                pi += 1; si += 1
            } else if pi < p.count && p[pi] == UInt8(ascii: "*") {
                star = pi; mark = si; pi += 1
            } else if star >= 0 {
                pi = star + 1; mark += 1; si = mark
            } else {
                return false
            }
        }
        while pi < p.count && p[pi] == UInt8(ascii: "*") { pi += 1 }
        return pi == p.count
    }
}

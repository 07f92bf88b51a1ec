/// A line diff in the unified format `diff -u` and `git diff` print, without an external
/// tool: the longest common subsequence of the two texts' lines (Myers' O((N+M)·D) greedy
/// algorithm, so a small edit of a long policy costs little), then hunks with three lines
/// of context.
///
/// ```swift
/// LineDiff.unified(old: "a\nb\n", new: "a\nc\n", oldName: "commit 1", newName: "commit 2")
/// // --- commit 1\n+++ commit 2\n@@ -1,2 +1,2 @@\n a\n-b\n+c\n
/// ```
public enum LineDiff {
    /// One line of the edit script.
    public enum Line: Equatable, Sendable {
        case same(String)
        case removed(String)
        case added(String)
    }

    /// The edit script turning `old` into `new`, line by line.
    public static func lines(old: [Substring], new: [Substring]) -> [Line] {
        let n = old.count, m = new.count
        let maximum = n + m
        guard maximum > 0 else { return [] }
        // v[k + offset]: the furthest x on diagonal k; one saved copy per step D to trace back.
        let offset = maximum
        var v = [Int](repeating: 0, count: 2 * maximum + 2)
        var trace: [[Int]] = []
        var found = false
        for d in 0 ... maximum {
            // Bounded: a rewrite of a huge text is shown as all removed, all added (the saved
            // frontiers would otherwise grow with D × (N + M)).
            if (d + 1) * v.count > 16_000_000 { return old.map { .removed(String($0)) } + new.map { .added(String($0)) } }
            trace.append(v)
            var k = -d
            while k <= d {
                var x: Int
                if k == -d || (k != d && v[k - 1 + offset] < v[k + 1 + offset]) { x = v[k + 1 + offset] } else { x = v[k - 1 + offset] + 1 }
                var y = x - k
                while x < n && y < m && old[x] == new[y] { x += 1; y += 1 }
                v[k + offset] = x
                if x >= n && y >= m { found = true; break }
                k += 2
            }
            if found { break }
        }
        // Trace back from (n, m) through the saved frontiers.
        var script: [Line] = []
        var x = n, y = m
        for d in stride(from: trace.count - 1, through: 0, by: -1) {
            let frontier = trace[d]
            let k = x - y
            let previousK = (k == -d || (k != d && frontier[k - 1 + offset] < frontier[k + 1 + offset])) ? k + 1 : k - 1
            let previousX = d == 0 ? 0 : frontier[previousK + offset]
            let previousY = previousX - previousK
            while x > previousX && y > previousY {
                x -= 1; y -= 1
                script.append(.same(String(old[x])))
            }
            if d > 0 {
                if x == previousX { y -= 1; script.append(.added(String(new[y]))) } else { x -= 1; script.append(.removed(String(old[x]))) }
            }
        }
        return script.reversed()
    }

    /// `diff -u` text; empty when the texts are equal.
    public static func unified(old: String, new: String, oldName: String, newName: String, context: Int = 3) -> String {
        let a = split(old), b = split(new)
        let script = lines(old: a, new: b)
        guard script.contains(where: { if case .same = $0 { false } else { true } }) else { return "" }
        var text = "--- \(oldName)\n+++ \(newName)\n"
        // Positions in the old and new text before each script entry.
        var positions: [(Int, Int)] = []
        var i = 0, j = 0
        for line in script {
            positions.append((i, j))
            switch line {
            case .same: i += 1; j += 1
            case .removed: i += 1
            case .added: j += 1
            }
        }
        let changed = script.indices.filter { if case .same = script[$0] { false } else { true } }
        var start = 0
        while start < changed.count {
            var end = start
            while end + 1 < changed.count && changed[end + 1] - changed[end] <= 2 * context { end += 1 }
            let from = max(0, changed[start] - context), to = min(script.count, changed[end] + context + 1)
            let (oldStart, newStart) = positions[from]
            var oldCount = 0, newCount = 0
            var body = ""
            for line in script[from ..< to] {
                switch line {
                case .same(let s): body += " \(s)\n"; oldCount += 1; newCount += 1
                case .removed(let s): body += "-\(s)\n"; oldCount += 1
                case .added(let s): body += "+\(s)\n"; newCount += 1
                }
            }
            text += "@@ -\(range(oldStart, oldCount)) +\(range(newStart, newCount)) @@\n" + body
            start = end + 1
        }
        return text
    }

    /// `start,count` as unified diffs write it (1-based; an empty range names the line before).
    private static func range(_ start: Int, _ count: Int) -> String {
        count == 0 ? "\(start),0" : count == 1 ? "\(start + 1)" : "\(start + 1),\(count)"
    }

    private static func split(_ text: String) -> [Substring] {
        var lines = text.split(separator: "\n", omittingEmptySubsequences: false)
        if lines.last == "" { lines.removeLast() }
        return lines
    }
}

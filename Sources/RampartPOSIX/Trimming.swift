/// Which scalars `trimming(_:)` drops from both ends; the first two are exactly Foundation's
/// `CharacterSet.whitespaces` and `.whitespacesAndNewlines` (outside FoundationEssentials).
public enum TrimmedScalars: Sendable {
    /// Spaces and tabs: Unicode White_Space without the line breaks.
    case whitespaces
    /// Unicode White_Space: spaces, tabs and line breaks.
    case whitespacesAndNewlines
    /// Exactly these scalars.
    case scalars(Set<Unicode.Scalar>)

    func contains(_ scalar: Unicode.Scalar) -> Bool {
        switch self {
        case .whitespacesAndNewlines:
            return scalar.properties.isWhitespace
        case .whitespaces:
            switch scalar.value {
            case 0x0A...0x0D, 0x85, 0x2028, 0x2029: return false
            default: return scalar.properties.isWhitespace
            }
        case .scalars(let set):
            return set.contains(scalar)
        }
    }
}

extension StringProtocol {
    /// The text without the scalars of `set` at either end.
    ///
    /// ```swift
    /// " token\n".trimming(.whitespacesAndNewlines)   // "token"
    /// ".a.b.".trimming(.scalars(["."]))              // "a.b"
    /// ```
    public func trimming(_ set: TrimmedScalars) -> String {
        let scalars = unicodeScalars
        var start = scalars.startIndex
        var end = scalars.endIndex
        while start < end, set.contains(scalars[start]) { start = scalars.index(after: start) }
        while end > start, set.contains(scalars[scalars.index(before: end)]) { end = scalars.index(before: end) }
        var kept = String.UnicodeScalarView()
        kept.append(contentsOf: scalars[start..<end])
        return String(kept)
    }
}

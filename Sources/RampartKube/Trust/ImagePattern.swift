/// A shell-style pattern over one part of an image reference: `*` any run of characters
/// (slashes included: `team/*` matches `team/api/v2`), `?` any one character, everything
/// else itself. Compared byte by byte, case-sensitively, as registries compare paths.
///
/// ```swift
/// ImagePattern("platform/*").matches("platform/api")  // true
/// ImagePattern("v1.*").matches("v1.25.3")             // true
/// ```
public struct ImagePattern: Sendable, Equatable, CustomStringConvertible {
    public let text: String
    private let bytes: [UInt8]

    public init(_ text: String) {
        self.text = text
        bytes = Array(text.utf8)
    }

    public var description: String { text }

    /// Linear in practice: the classic backtracking to the last `*` only.
    public func matches(_ candidate: some StringProtocol) -> Bool {
        let value = Array(candidate.utf8)
        var p = 0, v = 0
        var star = -1, mark = 0
        while v < value.count {
            if p < bytes.count && (bytes[p] == UInt8(ascii: "?") || bytes[p] == value[v]) {
                p += 1; v += 1
            } else if p < bytes.count && bytes[p] == UInt8(ascii: "*") {
                star = p; mark = v; p += 1
            } else if star >= 0 {
                p = star + 1; mark += 1; v = mark
            } else {
                return false
            }
        }
        while p < bytes.count && bytes[p] == UInt8(ascii: "*") { p += 1 }
        return p == bytes.count
    }
}

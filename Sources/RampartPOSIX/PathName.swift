/// The folder and last component of a path, as Foundation's `NSString` path methods give
/// them (which FoundationEssentials lacks): trailing slashes do not count, and the root
/// stays the root.
///
/// ```swift
/// PathName.folder(of: "/etc/cni/net.d/10-calico.conflist")   // "/etc/cni/net.d"
/// PathName.folder(of: "node.yaml")                           // ""
/// PathName.lastComponent(of: "/run/rampart/")                // "rampart"
/// ```
public enum PathName {
    /// `path` without its last component: `""` for a bare name, `"/"` for a top-level one.
    public static func folder(of path: String) -> String {
        let trimmed = withoutTrailingSlashes(path)
        guard let slash = trimmed.lastIndex(of: "/") else { return "" }
        if trimmed == "/" { return "/" }
        var end = slash
        // "a//b" names the folder "a".
        while end > trimmed.startIndex, trimmed[trimmed.index(before: end)] == "/" { end = trimmed.index(before: end) }
        return end == trimmed.startIndex ? "/" : String(trimmed[..<end])
    }

    /// The last component of `path` (`"/"` for the root, `""` for the empty path).
    public static func lastComponent(of path: String) -> String {
        let trimmed = withoutTrailingSlashes(path)
        if trimmed == "/" { return "/" }
        guard let slash = trimmed.lastIndex(of: "/") else { return trimmed }
        return String(trimmed[trimmed.index(after: slash)...])
    }

    private static func withoutTrailingSlashes(_ path: String) -> String {
        var text = Substring(path)
        while text.count > 1, text.last == "/" { text = text.dropLast() }
        return String(text)
    }
}

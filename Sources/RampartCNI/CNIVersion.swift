/// The CNI spec versions `rampart-cni` answers. Results are passed on unchanged, so every
/// version whose result carries `interfaces` and `ips` (0.4.0 onwards) works alike.
///
/// ```swift
/// CNIVersion.isSupported("1.0.0")   // true
/// ```
public enum CNIVersion {
    /// The newest version, used for VERSION's answer and for errors before a config is read.
    public static let current = "1.1.0"
    /// Every version this plugin accepts in a configuration.
    public static let supported = ["0.4.0", "1.0.0", "1.1.0"]

    /// True when `version` is one of `supported`.
    public static func isSupported(_ version: String) -> Bool { supported.contains(version) }

    /// Compares dotted versions numerically ("1.10.0" > "1.9.0"); unparsable parts count 0.
    ///
    /// ```swift
    /// CNIVersion.compare("0.4.0", "1.0.0")   // -1
    /// ```
    public static func compare(_ a: String, _ b: String) -> Int {
        let pa = a.split(separator: ".").map { Int($0) ?? 0 }
        let pb = b.split(separator: ".").map { Int($0) ?? 0 }
        for i in 0..<max(pa.count, pb.count) {
            let x = i < pa.count ? pa[i] : 0, y = i < pb.count ? pb[i] : 0
            if x != y { return x < y ? -1 : 1 }
        }
        return 0
    }
}

import RampartConfig

/// The policy's reader is the shared configuration reader, with what only policies have:
/// object names and tag expressions.
typealias FieldReader = ConfigReader

extension ConfigReader {
    /// A name for an object: letters, digits, '.', '_' and '-', starting with a letter or digit.
    func name(_ node: YAMLNode, _ what: String) -> String? {
        guard let s = string(node, what) else { return nil }
        if let problem = FieldReader.nameProblem(s) {
            error(node.location, "\(what) '\(s.prefix(80))' is not a valid name: \(problem)")
            return nil
        }
        return s
    }

    static func nameProblem(_ s: String) -> String? {
        if s.isEmpty { return "it is empty" }
        if s.utf8.count > 128 { return "names are at most 128 bytes" }
        if s == "any" || s == "application-default" { return "'\(s)' is a keyword" }
        guard let f = s.utf8.first, FieldReader.isAlnum(f) else { return "names start with a letter or digit" }
        for b in s.utf8 where !(FieldReader.isAlnum(b) || b == 0x2D || b == 0x5F || b == 0x2E) {
            return "names hold only letters, digits, '.', '_' and '-'"
        }
        return nil
    }

    static func isAlnum(_ b: UInt8) -> Bool {
        (b >= 0x30 && b <= 0x39) || (b >= 0x41 && b <= 0x5A) || (b >= 0x61 && b <= 0x7A)
    }

    /// Parses a tag expression, placing errors at their column within the file.
    func tagExpression(_ node: YAMLNode, _ what: String) -> TagExpression? {
        guard let text = string(node, what) else { return nil }
        let quoted: Int
        if case .scalar(_, let plain, _) = node { quoted = plain ? 0 : 1 } else { quoted = 0 }
        do {
            let e = try TagExpression.parse(text)
            if !e.isSatisfiable {
                error(node.location, "tag expression '\(text.prefix(200))' can never match: an address has one value for each of cluster, ns, pod, node, workload, serviceaccount and label:KEY, and no combination satisfies it")
                return nil
            }
            return e
        } catch {
            let column = String(decoding: Array(text.utf8).prefix(error.offset), as: UTF8.self).unicodeScalars.count
            self.error(node.location.advanced(by: column + quoted), "bad tag expression in \(what): \(error.message)")
            return nil
        }
    }
}

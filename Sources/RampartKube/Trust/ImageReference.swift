import FoundationEssentials
/// A container image reference as a pod names it, split the way registries and runtimes
/// read it: `[registry/]repository[:tag][@digest]`, with Docker Hub's defaults filled in
/// (`nginx` is `docker.io/library/nginx:latest`), so rules compare like with like.
///
/// ```swift
/// let image = ImageReference("nginx:1.25")!
/// image.registry    // "docker.io"
/// image.repository  // "library/nginx"
/// image.tag         // "1.25"
/// ImageReference("registry.example.com:5000/team/app@sha256:9f86…")!.digest  // "sha256:9f86…"
/// ```
public struct ImageReference: Sendable, Equatable, CustomStringConvertible {
    /// The registry host (and port), lower-case; `docker.io` when the reference names none.
    public var registry: String
    /// The path inside the registry: `library/nginx`, `team/app`.
    public var repository: String
    /// The tag as written; nil when the reference gives only a digest. A reference with
    /// neither means `latest`, as every runtime reads it.
    public var tag: String?
    /// `algorithm:hex` when the reference pins one.
    public var digest: String?

    public static let dockerHub = "docker.io"

    /// Nil for text no runtime would pull: empty, with spaces or control characters, an
    /// empty path component, or a malformed digest.
    public init?(_ text: some StringProtocol) {
        let text = String(text)
        guard !text.isEmpty, text.utf8.count <= 4096,
              text.unicodeScalars.allSatisfy({ $0.value > 0x20 && $0.value < 0x7F })
        else { return nil }
        var name = Substring(text)
        if let at = name.firstIndex(of: "@") {
            let digest = String(name[name.index(after: at)...])
            guard ImageReference.isDigest(digest) else { return nil }
            self.digest = digest
            name = name[..<at]
        }
        // A tag follows the last ':' only when no '/' comes after it (else the ':' is a port).
        if let colon = name.lastIndex(of: ":"), !name[colon...].contains("/") {
            let tag = name[name.index(after: colon)...]
            guard !tag.isEmpty, tag.count <= 128 else { return nil }
            self.tag = String(tag)
            name = name[..<colon]
        }
        var parts = name.split(separator: "/", omittingEmptySubsequences: false)
        guard !parts.isEmpty, parts.allSatisfy({ !$0.isEmpty }) else { return nil }
        let first = parts[0]
        if parts.count > 1 && (first.contains(".") || first.contains(":") || first == "localhost") {
            registry = first.lowercased()
            parts.removeFirst()
        } else {
            registry = ImageReference.dockerHub
        }
        if registry == "index.docker.io" || registry == "registry-1.docker.io" { registry = ImageReference.dockerHub }
        repository = parts.joined(separator: "/")
        if registry == ImageReference.dockerHub && parts.count == 1 { repository = "library/" + repository }
        if tag == nil && digest == nil { tag = "latest" }
    }

    public init(registry: String, repository: String, tag: String? = nil, digest: String? = nil) {
        self.registry = registry
        self.repository = repository
        self.tag = tag
        self.digest = digest
    }

    /// `registry/repository[:tag][@digest]`, in full.
    public var description: String {
        var text = "\(registry)/\(repository)"
        if let tag { text += ":\(tag)" }
        if let digest { text += "@\(digest)" }
        return text
    }

    /// `sha256:` and 64 lower-case hex digits, or another algorithm's `name:hex` (at least 32).
    public static func isDigest(_ text: some StringProtocol) -> Bool {
        guard let colon = text.firstIndex(of: ":") else { return false }
        let algorithm = text[..<colon], hex = text[text.index(after: colon)...]
        guard !algorithm.isEmpty, algorithm.allSatisfy({ $0.isASCII && ($0.isLowercase || $0.isNumber || $0 == "+" || $0 == "." || $0 == "_" || $0 == "-") })
        else { return false }
        let isHex = hex.allSatisfy { $0.isHexDigit && !$0.isUppercase }
        return isHex && (algorithm == "sha256" ? hex.count == 64 : hex.count >= 32)
    }

    /// The digest of the image a node pulled, from a container status's `imageID`:
    /// `docker.io/library/nginx@sha256:…` (containerd, CRI-O), `docker-pullable://nginx@sha256:…`
    /// (dockershim), or a bare `sha256:…` (an image loaded without a registry digest: its
    /// configuration's digest). Nil when empty or unreadable (not pulled yet).
    public static func digest(ofImageID imageID: String?) -> String? {
        guard let imageID, !imageID.isEmpty else { return nil }
        var text = Substring(imageID)
        if let scheme = text.firstRange(of: "://") { text = text[scheme.upperBound...] }
        if let at = text.lastIndex(of: "@") { text = text[text.index(after: at)...] }
        return isDigest(text) ? String(text) : nil
    }
}

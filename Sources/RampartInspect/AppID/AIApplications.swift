import RampartPolicy
import RampartWire

/// The parts of one HTTP request (HTTP/1.x or HTTP/2) that can name the API behind it.
///
/// Header values are kept only for the few headers the refinement reads; names compare
/// case-insensitively (HTTP/1) or are lower-case already (HTTP/2).
///
/// ```swift
/// var request = HTTPRequestFacts(method: "POST", target: "/v1/chat/completions")
/// request.contentType = "application/json"
/// AIApplications.application(for: request, body: bodyBytes)   // openai-api
/// ```
struct HTTPRequestFacts: Sendable, Equatable {
    var method: String
    /// The request target as sent (`/v1/models?limit=1`); `path` drops the query.
    var target: String
    var authority: String?
    var contentType: String?
    var accept: String?
    var userAgent: String?
    var hasBearerToken = false
    var hasAnthropicVersion = false
    var hasAPIKey = false
    var hasMCPSessionID = false

    init(method: String, target: String) {
        self.method = method
        self.target = target
    }

    var path: Substring {
        var path = target[...]
        if let q = path.firstIndex(where: { $0 == "?" || $0 == "#" }) { path = path[..<q] }
        // An absolute-form target (a proxy request) still names the API by its path.
        if path.hasPrefix("http://") || path.hasPrefix("https://") {
            let rest = path.drop(while: { $0 != "/" }).dropFirst(2)
            path = rest.firstIndex(of: "/").map { rest[$0...] } ?? "/"
        }
        return path
    }

    /// Records one header the refinement cares about; `name` must be lower-case.
    mutating func note(header name: String, value: String) {
        switch name {
        case "host", ":authority": if authority == nil { authority = value }
        case "content-type": if contentType == nil { contentType = value }
        case "accept": if accept == nil { accept = value }
        case "user-agent": if userAgent == nil { userAgent = value }
        case "authorization": hasBearerToken = hasBearerToken || value.lowercased().hasPrefix("bearer ")
        case "anthropic-version": hasAnthropicVersion = true
        case "x-api-key": hasAPIKey = true
        case "mcp-session-id": hasMCPSessionID = true
        default: break
        }
    }
}

/// Names AI and platform APIs spoken over plain HTTP, the way PAN-OS refines
/// `web-browsing`: OpenAI-compatible servers (OpenAI, vLLM, LiteLLM, llama.cpp), the
/// Anthropic Messages API, Ollama, MCP (JSON-RPC 2.0 over HTTP, streamable or SSE) and
/// the Kubernetes API server. A pure function of the first request's method, path,
/// headers and the first bytes of its body.
///
/// ```swift
/// let request = HTTPRequestFacts(method: "POST", target: "/api/chat")
/// AIApplications.application(for: request, body: UnsafeRawBufferPointer(start: nil, count: 0))  // ollama
/// ```
enum AIApplications {
    static let openAI = ApplicationCatalog.id(named: "openai-api")!
    static let anthropic = ApplicationCatalog.id(named: "anthropic-api")!
    static let ollama = ApplicationCatalog.id(named: "ollama")!
    static let mcp = ApplicationCatalog.id(named: "mcp")!
    static let kubernetes = ApplicationCatalog.id(named: "kubernetes-api")!

    /// How many body bytes are searched for `"model"` and JSON-RPC members.
    static let bodyScanLimit = 4096

    /// The more specific application the request names, or nil for plain HTTP.
    static func application(for request: HTTPRequestFacts, body: UnsafeRawBufferPointer) -> ApplicationID? {
        let path = request.path
        let method = request.method
        // Anthropic first: it also serves GET /v1/models, told apart by its version header.
        if method == "POST" && (path.hasSuffix("/v1/messages") || path.hasSuffix("/v1/messages/count_tokens")
            || path.hasSuffix("/v1/complete")) {
            return anthropic
        }
        if (request.hasAnthropicVersion && path.hasPrefix("/v1/")) || (request.hasAPIKey && path.hasPrefix("/v1/messages")) {
            return anthropic
        }
        if isOpenAIPath(path, method: method) { return openAI }
        if ollamaPaths.contains(String(path)) { return ollama }
        if isMCP(request, path: path, body: body) { return mcp }
        if isKubernetes(request, path: path) { return kubernetes }
        return nil
    }

    /// Fills `aiProvider`, `aiEndpoint` and `aiModel` (and `detail["mcp.method"]`) for an
    /// AI application; leaves the metadata alone for others.
    static func describe(
        _ application: ApplicationID, request: HTTPRequestFacts, body: UnsafeRawBufferPointer,
        into metadata: inout ApplicationMetadata
    ) {
        let provider: String
        switch application {
        case openAI: provider = "openai-compatible"
        case anthropic: provider = "anthropic"
        case ollama: provider = "ollama"
        case mcp: provider = "mcp"
        default: return
        }
        metadata.aiProvider = provider
        metadata.aiEndpoint = HTTPText.bounded(String(request.path))
        if let model = jsonString(member: "model", in: body) { metadata.aiModel = model }
        if application == mcp, let method = jsonString(member: "method", in: body) {
            metadata.detail["mcp.method"] = method
        }
    }

    // MARK: - Rules

    private static let openAISuffixes = [
        "/v1/chat/completions", "/v1/completions", "/v1/embeddings", "/v1/responses",
        "/v1/audio/transcriptions", "/v1/audio/speech", "/v1/images/generations", "/v1/moderations",
    ]

    private static func isOpenAIPath(_ path: Substring, method: String) -> Bool {
        if method == "GET" && (path == "/v1/models" || path.hasSuffix("/openai/v1/models")) { return true }
        guard method == "POST" else { return false }
        // Azure OpenAI and gateways put a prefix before the OpenAI path.
        if path.hasSuffix("/chat/completions") { return true }
        return openAISuffixes.contains { path.hasSuffix($0) }
    }

    private static let ollamaPaths: Set<String> = [
        "/api/chat", "/api/generate", "/api/embed", "/api/embeddings", "/api/tags", "/api/show", "/api/ps",
        "/api/pull", "/api/push", "/api/create", "/api/copy", "/api/delete",
    ]

    private static let mcpMethods: Set<String> = [
        "initialize", "notifications/initialized", "tools/list", "tools/call", "resources/list",
        "resources/read", "resources/templates/list", "resources/subscribe", "prompts/list", "prompts/get",
        "completion/complete", "logging/setLevel",
    ]

    private static func isMCP(_ request: HTTPRequestFacts, path: Substring, body: UnsafeRawBufferPointer) -> Bool {
        if request.hasMCPSessionID { return true }
        // The cheap test first: every GET carries an Accept header, few end in /sse or /mcp.
        if request.method == "GET", path.hasSuffix("/sse") || path.hasSuffix("/mcp"), let accept = request.accept,
           accept.lowercased().contains("text/event-stream") {
            return true
        }
        guard request.method == "POST", body.count > 0 else { return false }
        guard jsonString(member: "jsonrpc", in: body) == "2.0", let method = jsonString(member: "method", in: body)
        else { return false }
        return mcpMethods.contains(method)
    }

    private static let kubernetesHosts = ["kubernetes.default.svc", "kubernetes.default", "kubernetes"]

    private static let kubernetesCoreResources: Set<Substring> = [
        "namespaces", "pods", "services", "nodes", "configmaps", "secrets", "endpoints", "events",
        "persistentvolumes", "persistentvolumeclaims", "serviceaccounts", "componentstatuses", "limitranges",
        "resourcequotas", "replicationcontrollers", "podtemplates", "bindings",
    ]

    private static func isKubernetes(_ request: HTTPRequestFacts, path: Substring) -> Bool {
        if let authority = request.authority?.lowercased() {
            let host = hostPart(authority)
            if kubernetesHosts.contains(host) || host.hasPrefix("kubernetes.default.svc.") { return true }
        }
        let kubectl = request.userAgent?.hasPrefix("kubectl/") ?? false
        guard request.hasBearerToken || kubectl else { return false }
        if ["/version", "/healthz", "/livez", "/readyz", "/api", "/apis", "/openapi/v2", "/openapi/v3"].contains(path) {
            return true
        }
        if path.hasPrefix("/api/v1/") {
            let resource = path.dropFirst("/api/v1/".count).prefix { $0 != "/" }
            return kubernetesCoreResources.contains(resource)
        }
        if path.hasPrefix("/apis/") {
            // /apis/<group>/<version>/...: groups are DNS names or the few built-in short ones.
            let group = path.dropFirst("/apis/".count).prefix { $0 != "/" }
            return group.contains(".") || ["apps", "batch", "policy", "autoscaling"].contains(group)
        }
        return false
    }

    private static func hostPart(_ authority: String) -> String {
        if authority.hasPrefix("[") { return authority }
        return String(authority.prefix { $0 != ":" })
    }

    // MARK: - Bounded JSON scan

    /// The string value of the first `"member": "value"` in the first `bodyScanLimit`
    /// bytes, bounded and sanitised; nil when absent, not a string, or cut off.
    static func jsonString(member: StaticString, in body: UnsafeRawBufferPointer) -> String? {
        let limit = min(body.count, bodyScanLimit)
        let key = UnsafeRawBufferPointer(start: member.utf8Start, count: member.utf8CodeUnitCount)
        guard key.count > 0, limit >= key.count + 2 else { return nil }
        var i = 0
        while i + key.count + 2 <= limit {
            if body[i] == UInt8(ascii: "\"") && body[i + key.count + 1] == UInt8(ascii: "\"")
                && matches(body, at: i + 1, key) {
                var j = i + key.count + 2
                while j < limit && isJSONSpace(body[j]) { j += 1 }
                if j < limit && body[j] == UInt8(ascii: ":") {
                    j += 1
                    while j < limit && isJSONSpace(body[j]) { j += 1 }
                    guard j < limit, body[j] == UInt8(ascii: "\"") else { return nil }
                    let start = j + 1
                    var end = start
                    while end < limit && body[end] != UInt8(ascii: "\"") {
                        end += body[end] == UInt8(ascii: "\\") ? 2 : 1
                    }
                    guard end < limit else { return nil }
                    return HTTPText.bounded(UnsafeRawBufferPointer(rebasing: body[start..<end]))
                }
            }
            i += 1
        }
        return nil
    }

    private static func matches(_ body: UnsafeRawBufferPointer, at offset: Int, _ key: UnsafeRawBufferPointer) -> Bool {
        guard offset + key.count <= body.count else { return false }
        for k in 0..<key.count where body[offset + k] != key[k] { return false }
        return true
    }

    private static func isJSONSpace(_ b: UInt8) -> Bool { b == 0x20 || b == 0x09 || b == 0x0A || b == 0x0D }
}

/// Bounded, printable strings for metadata (cold path: once per session).
enum HTTPText {
    static let limit = 256

    /// At most `limit` characters; bytes outside printable ASCII become `?`.
    static func bounded(_ bytes: UnsafeRawBufferPointer) -> String {
        let shown = UnsafeRawBufferPointer(rebasing: bytes.prefix(limit))
        return String(unsafeUninitializedCapacity: shown.count) { out in
            for (i, b) in shown.enumerated() { out[i] = b >= 0x20 && b < 0x7F ? b : UInt8(ascii: "?") }
            return shown.count
        }
    }

    static func bounded(_ bytes: [UInt8]) -> String {
        bytes.withUnsafeBytes { bounded($0) }
    }

    static func bounded(_ string: String) -> String {
        bounded(Array(string.utf8))
    }
}

import Testing
import RampartPolicy
@testable import RampartInspect

private struct Case: CustomTestStringConvertible, Sendable {
    var method: String
    var target: String
    var headers: [(String, String)] = []
    var body: String = ""
    var expected: String?
    var testDescription: String { "\(method) \(target) → \(expected ?? "nil")" }
}

private func classify(_ c: Case) -> (ApplicationID?, ApplicationMetadata) {
    var facts = HTTPRequestFacts(method: c.method, target: c.target)
    for (name, value) in c.headers { facts.note(header: name.lowercased(), value: value) }
    var metadata = ApplicationMetadata()
    let app = Array(c.body.utf8).withUnsafeBytes { body -> ApplicationID? in
        guard let app = AIApplications.application(for: facts, body: body) else { return nil }
        AIApplications.describe(app, request: facts, body: body, into: &metadata)
        return app
    }
    return (app, metadata)
}

private let cases: [Case] = [
    Case(method: "POST", target: "/v1/chat/completions", body: #"{"model": "gpt-4o"}"#, expected: "openai-api"),
    Case(method: "POST", target: "/v1/completions", expected: "openai-api"),
    Case(method: "POST", target: "/v1/embeddings", expected: "openai-api"),
    Case(method: "POST", target: "/v1/responses", expected: "openai-api"),
    Case(method: "GET", target: "/v1/models", expected: "openai-api"),
    Case(method: "POST", target: "/openai/deployments/gpt4/chat/completions?api-version=2024-06-01", expected: "openai-api"),
    Case(method: "POST", target: "http://proxy.example/v1/chat/completions", expected: "openai-api"),
    Case(method: "POST", target: "/v1/messages", expected: "anthropic-api"),
    Case(method: "POST", target: "/v1/messages?beta=true", headers: [("x-api-key", "k")], expected: "anthropic-api"),
    Case(method: "GET", target: "/v1/models", headers: [("anthropic-version", "2023-06-01")], expected: "anthropic-api"),
    Case(method: "POST", target: "/api/chat", expected: "ollama"),
    Case(method: "POST", target: "/api/generate", expected: "ollama"),
    Case(method: "POST", target: "/api/embed", expected: "ollama"),
    Case(method: "GET", target: "/api/tags", expected: "ollama"),
    Case(method: "POST", target: "/mcp", body: #"{"jsonrpc":"2.0","id":1,"method":"initialize","params":{}}"#, expected: "mcp"),
    Case(method: "POST", target: "/anything", body: #"{ "jsonrpc" : "2.0", "method" : "tools/call", "id": 3}"#, expected: "mcp"),
    Case(method: "POST", target: "/x", headers: [("Mcp-Session-Id", "abc")], expected: "mcp"),
    Case(method: "GET", target: "/sse", headers: [("Accept", "text/event-stream")], expected: "mcp"),
    Case(method: "GET", target: "/api/v1/namespaces/default/pods", headers: [("Authorization", "Bearer eyJ")], expected: "kubernetes-api"),
    Case(method: "GET", target: "/apis/apps/v1/deployments", headers: [("Authorization", "bearer x")], expected: "kubernetes-api"),
    Case(method: "GET", target: "/apis/networking.k8s.io/v1/ingresses", headers: [("User-Agent", "kubectl/v1.31.0")], expected: "kubernetes-api"),
    Case(method: "GET", target: "/version", headers: [("Authorization", "Bearer x")], expected: "kubernetes-api"),
    Case(method: "GET", target: "/healthz", headers: [("Authorization", "Bearer x")], expected: "kubernetes-api"),
    Case(method: "GET", target: "/", headers: [("Host", "kubernetes.default.svc:443")], expected: "kubernetes-api"),
    Case(method: "GET", target: "/x", headers: [("Host", "kubernetes.default.svc.cluster.local")], expected: "kubernetes-api"),
    // Plain web traffic stays nil.
    Case(method: "GET", target: "/", expected: nil),
    Case(method: "GET", target: "/v1/chat/completions/../../index.html", expected: nil),
    Case(method: "GET", target: "/api/v1/users", headers: [("Authorization", "Bearer x")], expected: nil),
    Case(method: "GET", target: "/api/v1/namespaces/default/pods", expected: nil),
    Case(method: "GET", target: "/version", expected: nil),
    Case(method: "GET", target: "/sse", expected: nil),
    Case(method: "POST", target: "/rpc", body: #"{"jsonrpc":"2.0","method":"eth_blockNumber","id":1}"#, expected: nil),
    Case(method: "POST", target: "/rpc", body: #"{"jsonrpc":"1.0","method":"initialize"}"#, expected: nil),
    Case(method: "GET", target: "/api/chatroom", expected: nil),
    Case(method: "GET", target: "/v1/messages", expected: nil),
]

@Suite("App-ID AI applications")
struct AppIDAIApplicationsTests {
    @Test("requests name their API", arguments: cases)
    fileprivate func rules(_ c: Case) {
        let (app, metadata) = classify(c)
        #expect(app.map(ApplicationCatalog.name(of:)) == c.expected)
        if let expected = c.expected, expected != "kubernetes-api" {
            #expect(metadata.aiProvider != nil)
            #expect(metadata.aiEndpoint == String(HTTPRequestFacts(method: c.method, target: c.target).path))
        }
    }

    @Test("model and MCP method come from the body's first bytes")
    func model() {
        let (_, m) = classify(Case(method: "POST", target: "/v1/chat/completions",
                                   body: #"{"messages":[{"content":"say \"model\": no"}], "model" :"qwen\"3"}"#))
        #expect(m.aiModel == #"qwen\"3"#)
        #expect(m.aiProvider == "openai-compatible")
        let (_, mcp) = classify(Case(method: "POST", target: "/mcp", body: #"{"jsonrpc":"2.0","id":2,"method":"tools/list"}"#))
        #expect(mcp.detail["mcp.method"] == "tools/list")
        #expect(mcp.aiProvider == "mcp")
    }

    @Test("the JSON scan is bounded and tolerates cut or odd bodies", arguments: [
        #"{"model":"#, #"{"model""#, #"{"model":"abc"#, #"{"model":42}"#, #"""#, "", #"{"model":"\"#, #"{"modelx":"a"}"#,
    ])
    func jsonEdges(_ body: String) {
        let value = Array(body.utf8).withUnsafeBytes { AIApplications.jsonString(member: "model", in: $0) }
        #expect(value == nil)
    }

    @Test("a model past the scan limit is not read; a long model is truncated")
    func bounds() {
        let far = "{\"pad\":\"" + String(repeating: "x", count: 5000) + "\",\"model\":\"m\"}"
        #expect(Array(far.utf8).withUnsafeBytes { AIApplications.jsonString(member: "model", in: $0) } == nil)
        let long = "{\"model\":\"" + String(repeating: "y", count: 1000) + "\u{01}\"}"
        let value = Array(long.utf8).withUnsafeBytes { AIApplications.jsonString(member: "model", in: $0) }
        #expect(value?.count == 256)
    }
}

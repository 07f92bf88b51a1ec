/// The Model Context Protocol over streamable HTTP: JSON-RPC 2.0 messages POSTed by the
/// client (one, or a batch), answered as JSON or as server-sent events carrying JSON-RPC
/// messages. Read: the method, `tools/call`'s tool name and arguments, `prompts/get`'s and
/// `resources/read`'s names; in results, `tools/list`'s tool names, descriptions and input
/// schemas (tool poisoning hides there), tool output (`content[].text`,
/// `structuredContent`), resource contents and prompt messages.
enum MCPJSONRPC {
    static let request = AIFieldSchema([
        (JSONPath("method"), .method),
        (JSONPath("params", "name"), .name(.toolCall)),
        (JSONPath("params", "uri"), .name(.toolCall)),
        (JSONPath("params", "arguments"), .capture(.toolCall)),
        (JSONPath("[]", "method"), .method),
        (JSONPath("[]", "params", "name"), .name(.toolCall)),
        (JSONPath("[]", "params", "arguments"), .capture(.toolCall)),
        (JSONPath("id"), .requestID(batch: false)),
        (JSONPath("[]", "id"), .requestID(batch: true)),
    ])

    static let response = AIFieldSchema(resultEntries(prefix: false) + resultEntries(prefix: true))

    static func resultEntries(prefix batch: Bool) -> [(JSONPath, AIField)] {
        func p(_ steps: StaticString...) -> JSONPath {
            // Variadic StaticStrings cannot be forwarded; the few shapes are spelt out.
            JSONPath(steps: steps, batch: batch)
        }
        return [
            (p("result", "tools", "[]", "name"), .name(.mcpToolDescription)),
            (p("result", "tools", "[]", "description"), .text(.mcpToolDescription)),
            (p("result", "tools", "[]", "inputSchema"), .capture(.mcpToolDescription)),
            (p("result", "prompts", "[]", "description"), .text(.mcpToolDescription)),
            (p("result", "content", "[]", "text"), .text(.mcpToolOutput)),
            (p("result", "content", "[]", "resource", "text"), .text(.mcpToolOutput)),
            (p("result", "structuredContent"), .capture(.mcpToolOutput)),
            (p("result", "contents", "[]", "text"), .text(.mcpToolOutput)),
            (p("result", "messages", "[]", "content", "text"), .text(.mcpToolOutput)),
            (p("result", "description"), .text(.mcpToolDescription)),
            (p("method"), .method),
        ]
    }
}

extension JSONPath {
    /// A path from a list of steps, optionally under a batch's `[]`.
    init(steps: [StaticString], batch: Bool) {
        var h = JSONPath.root
        if batch { h = JSONPath.element(h) }
        for step in steps {
            let bytes = UnsafeRawBufferPointer(start: step.utf8Start, count: step.utf8CodeUnitCount)
            h = bytes.count == 2 && bytes[0] == UInt8(ascii: "[") && bytes[1] == UInt8(ascii: "]")
                ? JSONPath.element(h) : JSONPath.member(h, bytes)
        }
        self.init(hash: h)
    }

    init(hash: UInt64) { self.hash = hash }
}

/// Ollama's native API: `POST /api/chat` (messages) and `POST /api/generate` (`prompt`,
/// `system`). Ollama streams by default, as newline-delimited JSON objects (not server-sent
/// events), each with a delta of `message.content` or `response`; the last one has
/// `"done": true` and the counts (`prompt_eval_count`, `eval_count`).
enum OllamaAPI {
    static let request = AIFieldSchema([
        (JSONPath("model"), .model),
        (JSONPath("stream"), .stream),
        (JSONPath("system"), .text(.system)),
        (JSONPath("prompt"), .text(.user)),
        (JSONPath("messages", "[]"), .message),
        (JSONPath("messages", "[]", "role"), .role),
        (JSONPath("messages", "[]", "content"), .text(nil)),
        (JSONPath("messages", "[]", "tool_calls", "[]", "function", "arguments"), .capture(.toolCall)),
    ])

    /// A whole answer or one line of a stream: the same shape.
    static let response = AIFieldSchema([
        (JSONPath("model"), .model),
        (JSONPath("message", "content"), .text(.assistant)),
        (JSONPath("message", "thinking"), .text(.assistant)),
        (JSONPath("message", "tool_calls", "[]", "function", "arguments"), .capture(.toolCall)),
        (JSONPath("message", "tool_calls", "[]", "function", "name"), .name(.toolCall)),
        (JSONPath("response"), .text(.assistant)),
        (JSONPath("thinking"), .text(.assistant)),
        (JSONPath("prompt_eval_count"), .inputTokens),
        (JSONPath("eval_count"), .outputTokens),
        (JSONPath("done"), .done),
    ])
}

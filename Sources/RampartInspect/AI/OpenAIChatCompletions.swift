/// OpenAI's Chat Completions (`POST /v1/chat/completions`), as OpenAI, Azure OpenAI, vLLM,
/// llama.cpp's server, LiteLLM and other compatible servers speak it: the request's
/// messages (string content or content parts, assistant tool calls), the answer's choices,
/// and the streamed chunks' deltas (`choices[].delta.content`, tool-call arguments).
enum OpenAIChatCompletions {
    static let request = AIFieldSchema([
        (JSONPath("model"), .model),
        (JSONPath("stream"), .stream),
        (JSONPath("messages", "[]"), .message),
        (JSONPath("messages", "[]", "role"), .role),
        (JSONPath("messages", "[]", "content"), .text(nil)),
        (JSONPath("messages", "[]", "content", "[]", "text"), .text(nil)),
        (JSONPath("messages", "[]", "tool_calls", "[]", "function", "arguments"), .text(.toolCall)),
        (JSONPath("messages", "[]", "tool_calls", "[]", "function", "name"), .name(.toolCall)),
        (JSONPath("messages", "[]", "function_call", "arguments"), .text(.toolCall)),
    ])

    static let response = AIFieldSchema([
        (JSONPath("model"), .model),
        (JSONPath("choices", "[]", "message", "content"), .text(.assistant)),
        (JSONPath("choices", "[]", "message", "refusal"), .text(.assistant)),
        (JSONPath("choices", "[]", "message", "reasoning_content"), .text(.assistant)),
        (JSONPath("choices", "[]", "message", "tool_calls", "[]", "function", "arguments"), .text(.toolCall)),
        (JSONPath("choices", "[]", "message", "tool_calls", "[]", "function", "name"), .name(.toolCall)),
        (JSONPath("usage", "prompt_tokens"), .inputTokens),
        (JSONPath("usage", "completion_tokens"), .outputTokens),
    ])

    /// One `data:` event of a streamed answer (`chat.completion.chunk`).
    static let chunk = AIFieldSchema([
        (JSONPath("model"), .model),
        (JSONPath("choices", "[]", "delta", "content"), .text(.assistant)),
        (JSONPath("choices", "[]", "delta", "refusal"), .text(.assistant)),
        (JSONPath("choices", "[]", "delta", "reasoning_content"), .text(.assistant)),
        (JSONPath("choices", "[]", "delta", "tool_calls", "[]", "function", "arguments"), .text(.toolCall)),
        (JSONPath("choices", "[]", "delta", "tool_calls", "[]", "function", "name"), .name(.toolCall)),
        (JSONPath("usage", "prompt_tokens"), .inputTokens),
        (JSONPath("usage", "completion_tokens"), .outputTokens),
    ])
}

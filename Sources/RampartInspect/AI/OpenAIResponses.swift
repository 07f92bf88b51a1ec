/// OpenAI's Responses API (`POST /v1/responses`): `instructions` and `input` (a string, or
/// items: messages with content parts, function calls and their outputs) in; `output` items
/// out; streamed as typed events (`response.output_text.delta`,
/// `response.function_call_arguments.delta`, `response.completed` with the usage).
enum OpenAIResponses {
    static let request = AIFieldSchema([
        (JSONPath("model"), .model),
        (JSONPath("stream"), .stream),
        (JSONPath("instructions"), .text(.system)),
        (JSONPath("input"), .text(.user)),
        (JSONPath("input", "[]"), .message),
        (JSONPath("input", "[]", "role"), .role),
        (JSONPath("input", "[]", "content"), .text(nil)),
        (JSONPath("input", "[]", "content", "[]", "text"), .text(nil)),
        (JSONPath("input", "[]", "output"), .text(.toolResult)),
        (JSONPath("input", "[]", "arguments"), .text(.toolCall)),
        (JSONPath("input", "[]", "name"), .name(.toolCall)),
    ])

    static let response = AIFieldSchema([
        (JSONPath("model"), .model),
        (JSONPath("output", "[]", "content", "[]", "text"), .text(.assistant)),
        (JSONPath("output", "[]", "content", "[]", "refusal"), .text(.assistant)),
        (JSONPath("output", "[]", "arguments"), .text(.toolCall)),
        (JSONPath("output", "[]", "name"), .name(.toolCall)),
        (JSONPath("usage", "input_tokens"), .inputTokens),
        (JSONPath("usage", "output_tokens"), .outputTokens),
    ])

    /// One streamed event: its `type` says whether `delta` is text or a call's arguments.
    static let event = AIFieldSchema([
        (JSONPath("type"), .eventType),
        (JSONPath("delta"), .text(.assistant)),
        (JSONPath("item", "name"), .name(.toolCall)),
        (JSONPath("response", "model"), .model),
        (JSONPath("response", "usage", "input_tokens"), .inputTokens),
        (JSONPath("response", "usage", "output_tokens"), .outputTokens),
    ])
}

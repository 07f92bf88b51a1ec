/// Anthropic's Messages API (`POST /v1/messages`): `system` (a string or text blocks) and
/// messages whose content is a string or blocks (text, `tool_use` with its `input`,
/// `tool_result` with its content, documents); the answer's content blocks; the streamed
/// events (`message_start`, `content_block_delta` with `text_delta`, `input_json_delta` and
/// `thinking_delta`, `message_delta` with the output usage, `message_stop`).
enum AnthropicMessages {
    static let request = AIFieldSchema([
        (JSONPath("model"), .model),
        (JSONPath("stream"), .stream),
        (JSONPath("system"), .text(.system)),
        (JSONPath("system", "[]", "text"), .text(.system)),
        (JSONPath("messages", "[]"), .message),
        (JSONPath("messages", "[]", "role"), .role),
        (JSONPath("messages", "[]", "content"), .text(nil)),
        (JSONPath("messages", "[]", "content", "[]"), .block),
        (JSONPath("messages", "[]", "content", "[]", "type"), .blockType),
        (JSONPath("messages", "[]", "content", "[]", "text"), .text(nil)),
        (JSONPath("messages", "[]", "content", "[]", "content"), .text(nil)),
        (JSONPath("messages", "[]", "content", "[]", "content", "[]", "text"), .text(nil)),
        (JSONPath("messages", "[]", "content", "[]", "source", "data"), .text(nil)),
        (JSONPath("messages", "[]", "content", "[]", "input"), .capture(.toolCall)),
        (JSONPath("messages", "[]", "content", "[]", "name"), .name(.toolCall)),
    ])

    static let response = AIFieldSchema([
        (JSONPath("model"), .model),
        (JSONPath("content", "[]", "text"), .text(.assistant)),
        (JSONPath("content", "[]", "thinking"), .text(.assistant)),
        (JSONPath("content", "[]", "input"), .capture(.toolCall)),
        (JSONPath("content", "[]", "name"), .name(.toolCall)),
        (JSONPath("usage", "input_tokens"), .inputTokens),
        (JSONPath("usage", "output_tokens"), .outputTokens),
    ])

    static let event = AIFieldSchema([
        (JSONPath("type"), .eventType),
        (JSONPath("message", "model"), .model),
        (JSONPath("message", "usage", "input_tokens"), .inputTokens),
        (JSONPath("delta", "text"), .text(.assistant)),
        (JSONPath("delta", "thinking"), .text(.assistant)),
        (JSONPath("delta", "partial_json"), .text(.toolCall)),
        (JSONPath("content_block", "name"), .name(.toolCall)),
        (JSONPath("content_block", "text"), .text(.assistant)),
        (JSONPath("usage", "output_tokens"), .outputTokens),
        (JSONPath("usage", "input_tokens"), .inputTokens),
    ])
}

/// OpenAI's legacy Completions (`POST /v1/completions`), still the main API of many
/// OpenAI-compatible servers: `prompt` (a string or strings) in, `choices[].text` out,
/// streamed as chunks with the same shape.
enum OpenAICompletions {
    static let request = AIFieldSchema([
        (JSONPath("model"), .model),
        (JSONPath("stream"), .stream),
        (JSONPath("prompt"), .text(.user)),
        (JSONPath("prompt", "[]"), .text(.user)),
        (JSONPath("suffix"), .text(.user)),
    ])

    static let response = AIFieldSchema([
        (JSONPath("model"), .model),
        (JSONPath("choices", "[]", "text"), .text(.assistant)),
        (JSONPath("usage", "prompt_tokens"), .inputTokens),
        (JSONPath("usage", "completion_tokens"), .outputTokens),
    ])

    static let chunk = response
}

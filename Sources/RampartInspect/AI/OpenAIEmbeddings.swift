/// OpenAI's Embeddings (`POST /v1/embeddings`): the `input` text (a string or strings;
/// token arrays carry no text) goes to the model; the answer is vectors and a usage.
enum OpenAIEmbeddings {
    static let request = AIFieldSchema([
        (JSONPath("model"), .model),
        (JSONPath("input"), .text(.user)),
        (JSONPath("input", "[]"), .text(.user)),
    ])

    static let response = AIFieldSchema([
        (JSONPath("model"), .model),
        (JSONPath("usage", "prompt_tokens"), .inputTokens),
    ])
}

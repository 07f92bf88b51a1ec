/// An AI security profile: what to do with each kind of AI detection in the sessions its
/// rules allow (OpenAI-compatible, Anthropic, Ollama and MCP traffic), and the limits and
/// allow-lists it applies. Identity comes from the rule: a rule's `source` selects the
/// workloads (by tags), its profile says which models and MCP tools they may use.
///
/// ```yaml
/// aiSecurityProfiles:
///   - name: ai-strict
///     actions: {prompt-injection: block, secret: block, personal-data: alert, model-not-allowed: block}
///     injectionThreshold: 0.8
///     models: [gpt-4o-mini, "claude-*"]
///     tools: ["search_*", get_weather]
///     limits: {requestsPerMinute: 600, tokensPerMinute: 200000, maxPromptBytes: 131072}
///     urlFiltering: corporate-urls
/// ```
public struct AISecurityProfile: Hashable, Sendable {
    public var name: String
    /// The action of each kind of detection; a kind not named is alerted.
    public var actions: [AIDetectionName: AIAction]
    /// Score from which text counts as a prompt injection (0...1).
    public var injectionThreshold: Double = 0.8
    /// Inspect answers too (secrets and personal data coming back, injections in MCP output).
    public var responses = true
    /// Models the rule's sources may call (exact names or `*` wildcards); nil: any.
    public var models: [String]?
    /// MCP tools they may call; nil: any.
    public var tools: [String]?
    public var requestsPerMinute: Int?
    public var tokensPerMinute: Int?
    public var maxPromptBytes = 131_072
    public var maxStreamBytes = 4_194_304
    public var maxStreamEvents = 50_000
    /// The URL filtering profile (`urlFilteringProfiles`) URLs in model output are checked
    /// against: a URL whose category that profile does not `allow` is a `url` detection;
    /// nil: URLs are not checked. Its index in the policy's URL filtering profiles, resolved
    /// by the loader.
    public var urlFiltering: String?
    public var urlFilteringIndex: Int32 = -1

    public init(name: String, actions: [AIDetectionName: AIAction] = [:]) {
        self.name = name
        self.actions = actions
    }

    /// What a detection of `kind` does.
    public func action(_ kind: AIDetectionName) -> AIAction { actions[kind] ?? .alert }
}

/// The kinds of AI detection, as the policy and the `ai` records name them.
public enum AIDetectionName: String, Hashable, Sendable, CaseIterable {
    case promptInjection = "prompt-injection"
    case secret
    case personalData = "personal-data"
    case modelNotAllowed = "model-not-allowed"
    case toolNotAllowed = "tool-not-allowed"
    case rateLimit = "rate-limit"
    case oversizedPrompt = "oversized-prompt"
    case runawayStream = "runaway-stream"
    /// A URL in model output (assistant text, tool calls and results, MCP output) whose
    /// category the profile's `urlFiltering` profile does not allow.
    case url
}

/// What an AI security profile does with a detection: let it pass, pass and log it, or
/// block (a request answered with the API's own error shape, a stream ended).
public enum AIAction: String, Hashable, Sendable, CaseIterable {
    case allow, alert, block
}

/// What one AI security profile asks the inspector to look for, with its limits: compiled
/// from the policy's `aiSecurityProfiles` (the allow-lists already resolved for the
/// identity the session belongs to).
struct AIInspectionSettings: Sendable, Equatable {
    var injection = true
    /// Score from which text is a prompt injection (0...1).
    var injectionThreshold: Float = 0.8
    var secrets = true
    var personalData = true
    /// Inspect answers too (secrets and personal data coming back, injections in MCP output).
    var responses = true
    /// A request whose text exceeds this many bytes is an oversized prompt.
    var maxPromptBytes = 128 << 10
    /// A streamed answer exceeding these is runaway streaming.
    var maxStreamBytes = 4 << 20
    var maxStreamEvents = 50_000
    /// Models and MCP tools the identity may use; nil: any.
    var models: AIAllowList?
    var tools: AIAllowList?
    /// Per identity per minute; nil: no limit.
    var requestsPerMinute: Int?
    var tokensPerMinute: Int?

    init() {}
}

/// What a word of the multilingual injection lexicon means (`AIInjectionLexicon`). A rule of
/// `AIMultilingualRules` is a set of concepts that must all be seen close together: the
/// classic injection shapes are few (an override verb near an instruction noun, a request to
/// show the system prompt, a role without limits, an order to send secrets somewhere), and
/// each language says them with its own words.
enum AIInjectionConcept: Int, CaseIterable, Sendable {
    /// An override verb in the imperative or addressed to the assistant: ignore, forget, disregard.
    case ignore
    /// What came before: previous, earlier, above, original, initial.
    case previous
    /// All, every, any (a weaker qualifier than `previous`: closer proximity is required).
    case all
    /// The assistant's own: your, the ones you were given.
    case your
    /// Instructions, rules, guidelines, directives, the prompt.
    case orders
    /// "Everything above" as a whole object.
    case above
    /// Show, print, repeat, reveal, tell me.
    case reveal
    /// System, hidden, secret, confidential, initial (what a system prompt is called).
    case system
    /// Prompt, message, instructions, configuration (with `system`: the system prompt).
    case prompt
    /// From now on; you are now.
    case fromNow
    /// Act as, pretend to be, play the role of.
    case role
    /// Without restrictions, no limits, unfiltered, uncensored.
    case noLimits
    /// Send, forward, upload, post, append, render as an image.
    case send
    /// Passwords, credentials, keys, tokens, the conversation history, personal data.
    case secret
    /// A destination: a URL, an e-mail address, a webhook.
    case destination
    /// A "new instructions:" header.
    case newOrders
    /// Words addressed to an AI reading the text: "note to the AI", "if you are an AI".
    case addressee
    /// Instead, in place of.
    case instead
    /// Do not tell the user.
    case hideFromUser
    /// Disable, turn off, suspend, remove.
    case disable
    /// Safety filters, content policy, guardrails.
    case safety
    /// Void, cancelled, no longer valid.
    case void
    /// A condition on what the user does, in text the user did not write: "if the user asks".
    case userTrigger
    /// "Before using this tool" in a tool's description or output (tool poisoning).
    case beforeTool
    /// Developer mode, DAN mode, jailbreak mode.
    case devMode

    var bit: UInt32 { 1 << UInt32(rawValue) }
}

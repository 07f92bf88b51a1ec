/// Phrase rules for prompt injection and jailbreaks, over normalised words (so look-alikes,
/// invisible characters and leetspeak do not hide them, and each rule is also tried on the
/// ROT13 form of the words), plus raw markers of chat templates that have no business in a
/// user's or a tool's text. A rule is slots of alternative words; each slot must follow the
/// previous one within `gap` words. Scores are the rule's weight: the detector combines
/// them with the classifier's probability.
struct AIInjectionRule: Sendable {
    let name: StaticString
    let weight: Float
    let gap: Int
    let slots: [[UInt32]]
}

enum AIInjectionRules {
    static func rule(_ name: StaticString, _ weight: Float, gap: Int = 3, _ slots: [String]...) -> AIInjectionRule {
        AIInjectionRule(name: name, weight: weight, gap: gap, slots: slots.map { $0.map(AITextNormalizer.hash) })
    }

    static let override = ["ignore", "disregard", "forget", "skip", "override", "bypass", "neglect", "overlook",
                           "abandon", "drop", "discard", "nevermind", "ignoring", "disregarding", "forgetting"]
    static let earlier = ["previous", "prior", "above", "earlier", "preceding", "initial", "original", "all", "any",
                          "your", "system", "those", "these", "every", "former", "existing"]
    static let orders = ["instructions", "instruction", "prompt", "prompts", "rules", "directions", "guidelines",
                         "directives", "commands", "guidance", "context", "programming", "constraints", "restrictions",
                         "orders", "messages", "text", "content", "policies", "training"]
    static let limits = ["restrictions", "filters", "filter", "censorship", "guidelines", "limitations", "limits",
                         "ethics", "morals", "morality", "safeguards", "rules", "boundaries", "policies", "constraints", "filtering"]
    static let persona = ["dan", "jailbroken", "unrestricted", "unfiltered", "uncensored", "evil", "unbound", "stan",
                          "dude", "aim", "mongo", "jailbreak", "amoral", "unethical", "unchained", "limitless"]

    static let all: [AIInjectionRule] = [
        rule("ignore-instructions", 0.95, gap: 4, override, earlier, orders),
        rule("ignore-instructions", 0.9, gap: 1, override, orders, ["and", "instead", "now"]),
        rule("reveal-system-prompt", 0.9, gap: 1,
             ["reveal", "show", "print", "repeat", "output", "leak", "display", "tell", "give", "disclose", "dump", "share", "write"],
             ["your", "the", "its"], ["system", "initial", "hidden", "secret", "original", "developer", "confidential", "full"],
             ["prompt", "instructions", "message", "prompts", "configuration"]),
        rule("reveal-system-prompt", 0.85, gap: 4, ["repeat", "print", "output", "reproduce", "copy"],
             ["everything", "text", "words", "all", "instructions"], ["above", "before"]),
        rule("new-instructions", 0.85, gap: 1, ["your"], ["new", "updated", "real", "actual", "true", "only"],
             ["instructions", "task", "rules", "directive", "objective", "role", "purpose", "goal"]),
        rule("persona-switch", 0.95, gap: 3, ["you"], ["are", "re", "will"], ["now", "become", "be"], persona),
        rule("persona-switch", 0.7, gap: 0, ["do"], ["anything"], ["now"]),
        rule("persona-switch", 0.9, gap: 2, ["dan"], ["stands", "means", "mode"]),
        rule("persona-switch", 0.9, gap: 0, ["dan", "jailbreak", "god", "evil", "unrestricted", "unfiltered"],
             ["mode"], ["enabled", "activated", "enable", "activate", "output"]),
        rule("persona-switch", 0.9, gap: 0, ["dan", "jailbreak", "jailbroken"], ["mode", "prompt", "version"]),
        rule("persona-switch", 0.85, gap: 6, ["developer"], ["mode"],
             ["chatgpt", "openai", "policy", "policies", "content", "unrestricted", "uncensored", "ignore", "censorship"]),
        rule("ignore-instructions", 0.9, gap: 2, override, orders, ["above", "before", "earlier", "previously", "given"]),
        rule("ignore-instructions", 0.9, gap: 2, ["prior", "previous", "above", "earlier", "all", "system"],
             ["instructions", "rules", "prompt", "directives", "guidelines"],
             ["cancelled", "canceled", "void", "revoked", "obsolete", "invalid", "overridden", "null", "replaced", "suspended"]),
        // 0.6: "a recipe without any restrictions on ingredients" is benign; the classifier
        // must agree (a role without limits is the multilingual rules' persona-switch, 0.9).
        rule("no-restrictions", 0.6, gap: 3, ["without", "no", "free", "bypass", "ignore", "ignoring", "remove",
                                                "disable", "break", "beyond", "unbound", "abandon"], limits),
        rule("no-restrictions", 0.9, gap: 6, ["pretend", "act", "roleplay", "imagine", "behave", "simulate", "become"],
             ["no", "without", "unrestricted", "unfiltered", "uncensored", "amoral", "unethical", "free"], limits),
        rule("hide-from-user", 0.85, gap: 1, ["not", "never", "dont", "t"],
             ["tell", "inform", "mention", "reveal", "notify", "show", "alert"], ["the", "this"], ["user", "human", "users"]),
        rule("exfiltrate", 0.6, gap: 6, ["send", "forward", "post", "upload", "exfiltrate", "email", "transmit", "append", "leak"],
             ["password", "passwords", "credentials", "secrets", "keys", "token", "tokens", "ssh", "rsa", "env",
              "history", "conversation", "cookies", "secret"], ["to", "http", "https", "url", "attacker", "webhook"]),
        rule("tool-poisoning", 0.85, gap: 4, ["before", "first", "prior"], ["using", "calling", "call", "use", "running"],
             ["tool", "function", "this"], ["read", "open", "cat", "include", "pass", "send", "fetch"]),
        rule("stay-in-character", 0.6, gap: 1, ["stay", "remain", "keep"], ["in"], ["character"]),
    ]

    /// First words of the rules, by hash bucket: one bit per rule (there are fewer than 64).
    static let firstBuckets: [UInt64] = {
        var t = [UInt64](repeating: 0, count: 1024)
        for (r, rule) in all.enumerated() {
            for h in rule.slots[0] { t[Int(h & 1023)] |= 1 << UInt64(r) }
        }
        return t
    }()

    /// Chat-template tokens and hidden-instruction tags, matched in the raw lower-cased text.
    static let markers: [(StaticString, Float)] = [
        ("<|im_start|>", 0.9), ("<|im_end|>", 0.9), ("<|system|>", 0.9), ("<|endoftext|>", 0.85), ("[inst]", 0.8),
        ("[/inst]", 0.85), ("<<sys>>", 0.9), ("<|start_header_id|>", 0.9), ("<|begin_of_text|>", 0.9),
        ("<important>", 0.85), ("<system>", 0.8), ("</system>", 0.8),
    ]

    /// The best rule over `words[from..<to]`: its name, weight and the words it spans.
    static func best(_ words: AIWords, from: Int, to: Int) -> (name: StaticString, weight: Float, first: Int, last: Int)? {
        var best: (name: StaticString, weight: Float, first: Int, last: Int)?
        for pass in 0..<2 {
            let hashes = pass == 0 ? words.hashes : words.rot13
            var i = from
            while i < to {
                var mask = firstBuckets[Int(hashes[i] & 1023)]
                while mask != 0 {
                    let r = mask.trailingZeroBitCount
                    mask &= mask - 1
                    let rule = all[r]
                    if let b = best, b.weight >= rule.weight { continue }
                    if let last = match(rule, hashes, at: i, to: to) {
                        best = (rule.name, rule.weight, i, last)
                    }
                }
                i += 1
            }
        }
        return best
    }

    @inline(__always)
    static func match(_ rule: AIInjectionRule, _ hashes: UnsafeMutablePointer<UInt32>, at i: Int, to: Int) -> Int? {
        guard rule.slots[0].contains(hashes[i]) else { return nil }
        var position = i
        for s in 1..<rule.slots.count {
            let slot = rule.slots[s]
            var found = -1
            var k = position + 1
            while k < to && k <= position + 1 + rule.gap {
                if slot.contains(hashes[k]) { found = k; break }
                k += 1
            }
            guard found >= 0 else { return nil }
            position = found
        }
        return position
    }

    /// The strongest chat-template marker in `text` (ASCII case folded): weight and span.
    static func marker(_ text: UnsafeRawBufferPointer) -> (weight: Float, start: Int, length: Int)? {
        var best: (weight: Float, start: Int, length: Int)?
        let n = text.count
        var i = 0
        while i < n {
            let b = text[i]
            if b == UInt8(ascii: "<") || b == UInt8(ascii: "[") {
                for (m, w) in markers where m.utf8Start[0] == b {
                    let len = m.utf8CodeUnitCount
                    guard i + len <= n else { continue }
                    var same = true
                    for k in 1..<len {
                        var c = text[i + k]
                        if c >= 0x41 && c <= 0x5A { c |= 0x20 }
                        if c != m.utf8Start[k] { same = false; break }
                    }
                    if same && (best == nil || best!.weight < w) { best = (w, i, len) }
                }
            }
            i += 1
        }
        return best
    }
}

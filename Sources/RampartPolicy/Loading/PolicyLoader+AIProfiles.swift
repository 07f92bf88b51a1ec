import RampartConfig

/// Reading `aiSecurityProfiles` entries (docs/policy.md, "AI security profiles").
extension PolicyLoader {
    static func readAISecurityProfile(_ node: YAMLNode, _ r: FieldReader) -> RawNamed<AISecurityProfile>? {
        guard let f = r.fields(node, "an AI security profile",
                               allowed: ["name", "description", "actions", "injectionThreshold", "responses", "models", "tools", "limits",
                                         "urlFiltering"],
                               required: ["name"]),
              let nn = f["name"], let name = r.name(nn, "AI security profile name") else { return nil }
        if let d = f["description"] { _ = r.string(d, "description") }
        var profile = AISecurityProfile(name: name)
        if let a = f["actions"],
           let af = r.fields(a, "actions of AI security profile '\(name)'", allowed: AIDetectionName.allCases.map(\.rawValue)) {
            for (key, value) in af {
                guard let kind = AIDetectionName(rawValue: key), let action = keyword(value, "AI action", r, as: AIAction.self) else { continue }
                profile.actions[kind] = action
            }
        }
        if let t = f["injectionThreshold"], let v = r.number(t, "injectionThreshold", in: 0...1) { profile.injectionThreshold = v }
        if let b = f["responses"], let v = r.bool(b, "responses") { profile.responses = v }
        if let u = f["urlFiltering"], let v = r.name(u, "urlFiltering (a URL filtering profile's name)") {
            profile.urlFiltering = v
        }
        for (key, isModels) in [("models", true), ("tools", false)] {
            guard let n = f[key], let items = r.strings(n, key, limit: 10_000) else { continue }
            for (pattern, at) in items where pattern.isEmpty || pattern.utf8.count > 256 || pattern.utf8.contains(where: { $0 < 0x20 }) {
                r.error(at.location, "a name in \(key) must be 1 to 256 printable bytes ('*' matches any run of characters)")
            }
            if isModels { profile.models = items.map(\.0) } else { profile.tools = items.map(\.0) }
        }
        if let l = f["limits"],
           let lf = r.fields(l, "limits of AI security profile '\(name)'",
                             allowed: ["requestsPerMinute", "tokensPerMinute", "maxPromptBytes", "maxStreamBytes", "maxStreamEvents"]) {
            if let n = lf["requestsPerMinute"], let v = r.integer(n, "limits.requestsPerMinute", in: 1...100_000_000) { profile.requestsPerMinute = v }
            if let n = lf["tokensPerMinute"], let v = r.integer(n, "limits.tokensPerMinute", in: 1...10_000_000_000) { profile.tokensPerMinute = v }
            if let n = lf["maxPromptBytes"], let v = r.integer(n, "limits.maxPromptBytes", in: 1...(1 << 30)) { profile.maxPromptBytes = v }
            if let n = lf["maxStreamBytes"], let v = r.integer(n, "limits.maxStreamBytes", in: 1...(1 << 40)) { profile.maxStreamBytes = v }
            if let n = lf["maxStreamEvents"], let v = r.integer(n, "limits.maxStreamEvents", in: 1...100_000_000) { profile.maxStreamEvents = v }
        }
        return RawNamed(name: name, location: nn.location, value: profile)
    }
}

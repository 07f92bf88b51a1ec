import RampartPolicy

/// A workload's learned profile turned into policy: allow rules for exactly the connections
/// it was seen making and taking (allowed by the firewall; per peer: the applications and the
/// ports seen), peers that are workloads named by tags (an address group per workload,
/// `match: cluster:C and ns:N and workload:W`), other peers by address. The rules go first in
/// the current committed policy's `rules` (they match only this workload's own traffic, so
/// they widen nobody else's), the groups at the end of its `addressGroups`; the result is
/// validated as `rampart policy validate` does and shown as a line diff against the commit.
///
/// ```swift
/// let proposal = PolicyProposal.make(profile: profile, current: try commits.store.latest(targets: ["all"]))
/// print(proposal.diff)
/// ```
public struct PolicyProposal: Sendable {
    public var workload: String
    /// The commit the proposal is made against; nil: there is none (a new document).
    public var base: Int?
    /// The rules proposed (names), in order; empty when the profile allows nothing new.
    public var rules: [String]
    public var groups: [String]
    /// The whole proposed policy.
    public var text: String
    public var diff: String
    public var valid: Bool
    public var errors: [String]
    public var warnings: [String]

    /// Applications a rule can name: App-ID's states (`incomplete`, `unknown-tcp`...) are not
    /// applications a session was identified as, so a peer with one of them gets `any`.
    static func nameable(_ application: String) -> Bool {
        guard ApplicationCatalog.id(named: application) != nil else { return false }
        return !["incomplete", "insufficient-data", "unknown-tcp", "unknown-udp", "unknown-p2p", "not-applicable", "unknown"].contains(application)
    }

    /// A policy name from parts: lower-case letters, digits, `.`, `-`; at most 128 bytes.
    static func name(_ parts: String...) -> String {
        var out = ""
        for byte in parts.joined(separator: "-").lowercased().utf8 {
            switch byte {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "."), UInt8(ascii: "-"):
                out.unicodeScalars.append(Unicode.Scalar(byte))
            default:
                out += "-"
            }
        }
        return String(out.prefix(128))
    }

    static func group(of identity: WorkloadProfile.Identity) -> (name: String, match: String) {
        (name("wl", identity.cluster, identity.namespace, identity.name),
         "cluster:\(identity.cluster) and ns:\(identity.namespace) and workload:\(identity.name)")
    }

    public static func make(profile: WorkloadProfile, current: PolicyCommit?) -> PolicyProposal {
        let identity = profile.identity
        let existing = current?.text ?? ""
        let own = group(of: identity)
        var groups: [(name: String, match: String)] = [own]
        // Per direction and peer: the applications and services seen allowed.
        struct Key: Hashable, Comparable {
            var direction: WorkloadProfile.Direction
            var peer: WorkloadProfile.Peer
            static func < (a: Key, b: Key) -> Bool { (a.direction, a.peer) < (b.direction, b.peer) }
        }
        var seen: [Key: (applications: Set<String>, anyApplication: Bool, services: Set<String>, anyService: Bool)] = [:]
        for (connection, count) in profile.connections where count.allowed > 0 {
            var entry = seen[Key(direction: connection.direction, peer: connection.peer)] ?? ([], false, [], false)
            if nameable(connection.application) { entry.applications.insert(connection.application) } else { entry.anyApplication = true }
            if ["tcp", "udp", "sctp"].contains(connection.proto) && connection.port > 0 {
                entry.services.insert(connection.service)
            } else if connection.proto.hasPrefix("icmp") {
                entry.services.insert("icmp")
            } else {
                entry.anyService = true
            }
            seen[Key(direction: connection.direction, peer: connection.peer)] = entry
        }
        var rules: [String] = []
        var ruleText: [String] = []
        for key in seen.keys.sorted() {
            let entry = seen[key]!
            let peerName: String
            if let workload = key.peer.workload {
                let peerGroup = group(of: workload)
                if !groups.contains(where: { $0.name == peerGroup.name }) { groups.append(peerGroup) }
                peerName = peerGroup.name
            } else {
                peerName = key.peer.address ?? "any"
            }
            let ruleName = name("audit", identity.cluster, identity.namespace, identity.name,
                                key.direction == .outbound ? "to" : "from", key.peer.workload.map { "\($0.namespace)-\($0.name)" } ?? key.peer.address ?? "any")
            // Proposed before and committed since: not proposed again.
            if existing.contains("name: \(ruleName)\n") || rules.contains(ruleName) { continue }
            rules.append(ruleName)
            let applications = entry.anyApplication || entry.applications.isEmpty ? ["any"] : entry.applications.sorted()
            let services = entry.anyService || entry.services.isEmpty ? ["any"] : entry.services.sorted()
            let (source, destination) = key.direction == .outbound ? (own.name, peerName) : (peerName, own.name)
            ruleText.append("""
                - name: \(ruleName)
                  description: "Seen \(key.direction == .outbound ? "from" : "to") \(identity.description) (runtime audit profile)."
                  source: [\(source)]
                  destination: [\(destination)]
                  applications: [\(applications.joined(separator: ", "))]
                  services: [\(services.joined(separator: ", "))]
                  action: allow
                """)
        }
        let newGroups = groups.filter { !existing.contains("name: \($0.name)\n") }
        let groupText = newGroups.map { "- name: \($0.name)\n  match: \"\($0.match)\"" }
        let text = rules.isEmpty ? existing : merge(existing, groups: groupText, rules: ruleText, identity: identity)
        var proposal = PolicyProposal(workload: identity.description, base: current?.id, rules: rules, groups: newGroups.map(\.name), text: text,
                                      diff: "", valid: false, errors: [], warnings: [])
        proposal.diff = LineDiff.unified(old: existing, new: text, oldName: current.map { "commit \($0.id)" } ?? "/dev/null", newName: "proposal")
        if rules.isEmpty && current == nil {
            proposal.errors = ["\(identity.description) has no allowed connection in its profile: nothing to propose"]
            return proposal
        }
        do throws(PolicyErrors) {
            let check = try PolicyCheck.validate(text, file: "proposal.yaml")
            proposal.valid = true
            proposal.warnings = check.warnings
        } catch {
            proposal.errors = error.errors.map(\.description)
        }
        return proposal
    }

    /// `items` (YAML list items, unindented) placed into the block-style document `text`:
    /// the groups at the end of `spec.addressGroups`, the rules at the start of `spec.rules`,
    /// each section made when missing. Without a document, a new one.
    static func merge(_ text: String, groups: [String], rules: [String], identity: WorkloadProfile.Identity) -> String {
        func indented(_ items: [String], _ prefix: String) -> [String] {
            items.flatMap { $0.split(separator: "\n", omittingEmptySubsequences: false).map { prefix + $0 } }
        }
        var lines = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        if lines.last == "" { lines.removeLast() }
        guard let specLine = lines.firstIndex(where: { $0.hasPrefix("spec:") && $0.dropFirst(5).allSatisfy { $0 == " " } }) else {
            return (["apiVersion: rampart.io/v1", "kind: SecurityPolicy", "metadata:", "  name: \(name("proposed", identity.namespace, identity.name))",
                     "spec:", "  addressGroups:"] + indented(groups, "    ") + ["  rules:"] + indented(rules, "    ")).joined(separator: "\n") + "\n"
        }
        func indentation(_ line: String) -> Int { line.prefix { $0 == " " }.count }
        func isContent(_ line: String) -> Bool { let t = line.drop { $0 == " " }; return !t.isEmpty && !t.hasPrefix("#") }
        var specEnd = lines.count
        for index in (specLine + 1) ..< lines.count where isContent(lines[index]) && indentation(lines[index]) == 0 { specEnd = index; break }
        let child = lines[(specLine + 1) ..< specEnd].first(where: isContent).map(indentation) ?? 2
        let pad = String(repeating: " ", count: child)
        /// The section's key line and the end of its items.
        func section(_ key: String) -> (start: Int, end: Int, itemPad: String)? {
            guard let start = lines[(specLine + 1) ..< specEnd].firstIndex(where: { $0 == "\(pad)\(key):" || $0.hasPrefix("\(pad)\(key): #") }) else { return nil }
            var end = specEnd
            for index in (start + 1) ..< specEnd where isContent(lines[index]) && indentation(lines[index]) <= child
                && !lines[index].dropFirst(child).hasPrefix("-") { end = index; break }
            let first = lines[(start + 1) ..< end].first(where: isContent)
            return (start, end, String(repeating: " ", count: first.map(indentation) ?? child + 2))
        }
        // Rules first (their insertion is after the group section's in no case: handled by order of edits).
        if let rulesSection = section("rules") {
            lines.insert(contentsOf: indented(rules, rulesSection.itemPad), at: rulesSection.start + 1)
        } else {
            lines.insert(contentsOf: ["\(pad)rules:"] + indented(rules, pad + "  "), at: specEnd)
        }
        specEnd = lines.count
        for index in (specLine + 1) ..< lines.count where isContent(lines[index]) && indentation(lines[index]) == 0 { specEnd = index; break }
        if !groups.isEmpty {
            if let groupSection = section("addressGroups") {
                // After the last item's content, before any blank lines that follow it.
                var at = groupSection.end
                while at > groupSection.start + 1 && !isContent(lines[at - 1]) { at -= 1 }
                lines.insert(contentsOf: indented(groups, groupSection.itemPad), at: at)
            } else if let rulesKey = section("rules") {
                lines.insert(contentsOf: ["\(pad)addressGroups:"] + indented(groups, pad + "  "), at: rulesKey.start)
            }
        }
        return lines.joined(separator: "\n") + "\n"
    }
}

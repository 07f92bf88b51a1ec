import FoundationEssentials
import RampartConfig
import RampartInspect
import RampartPOSIX
import RampartPolicy

/// One configuration file read and checked: the firewall section and the compiled policy.
///
/// The file is parsed once; its documents are told apart by their parsed `kind`, in any
/// order: the `FirewallConfiguration` document (optional; defaults without it) is read here,
/// the rest (`SecurityPolicy`, `AddressTags`) by the policy loader, every node keeping its
/// true position.
///
/// ```swift
/// let bundle = try ConfigurationFile.load(path: "/etc/rampart/firewall.yaml")
/// var engine = Engine(policy: bundle.matcher)
/// ```
public struct ConfigurationFile {
    public var firewall: FirewallConfiguration
    public var document: PolicyDocument
    public var matcher: PolicyMatcher
    /// The compiled `spec.rules` (read by `load(path:)`; `parse` leaves it nil), and what
    /// loading them said.
    public var rules: DetectionRuleSet?
    public var rulesSummary: String?
    /// The hash lists and YARA rules of `spec.files` (read by `load(path:)`), when files are tracked.
    public var files: FileInspection?
    /// The lists of `spec.lists` in one store (read by `load(path:)`; nil without lists), and
    /// what loading them said.
    public var indicators: IndicatorStore?
    public var listsSummary: String?
    /// The URL filtering profiles' `blockPage` files (read by `load(path:)`), by profile index.
    public var blockPages: [Int32: String] = [:]

    /// Reads `path`; every problem comes back as `PolicyErrors` with file:line:column. With
    /// `pushed` (a policy a manager pushed, `PUT /policy`), its documents take the place of
    /// the file's own SecurityPolicy, AddressTags and profile documents.
    public static func load(path: String, pushed: PushedPolicy? = nil) throws(PolicyErrors) -> ConfigurationFile {
        let text: String
        do {
            text = try readTextFile(path)
        } catch {
            throw PolicyErrors([PolicyError(file: path, line: 0, column: 0, message: error.reason + "; give the firewall's configuration file with --config (docs/firewall.md)")])
        }
        var file = try parse(text, file: path, pushed: pushed)
        if let rules = file.firewall.rules {
            let folder = PathName.folder(of: path)
            let resolved = rules.hasPrefix("/") || folder.isEmpty ? rules : folder + "/" + rules
            let loaded = try SignatureRules.load(path: resolved)
            file.rules = loaded.rules
            file.rulesSummary = loaded.summary
        }
        for (index, profile) in file.document.profiles.url.enumerated() {
            guard let page = profile.blockPagePath(policyFile: path) else { continue }
            let text: String
            do { text = try readTextFile(page, limit: 1 << 20) } catch {
                throw PolicyErrors([PolicyError(file: path, line: 0, column: 0,
                                                message: "URL filtering profile '\(profile.name)': blockPage \(page): \(error.reason)")])
            }
            file.blockPages[Int32(index)] = text
        }
        if let settings = file.firewall.files {
            file.files = try FileRules.load(settings, relativeTo: PathName.folder(of: path))
        }
        if !file.firewall.lists.isEmpty {
            let loaded = try IndicatorLists.load(file.firewall.lists, configurationFile: path)
            file.indicators = loaded.store
            file.listsSummary = loaded.summary
        }
        return file
    }

    /// Parses the text of a configuration file. Every problem of both parts is reported at
    /// once, in file order.
    public static func parse(_ text: String, file: String, pushed: PushedPolicy? = nil) throws(PolicyErrors) -> ConfigurationFile {
        let documents = try YAMLReader.documents(in: text, file: file)
        let reader = ConfigReader(file: file)
        var firewall = FirewallConfiguration()
        var firewallAt: SourceLocation?
        var policyDocuments: [YAMLNode] = []
        for document in documents {
            guard document.scalar(forKey: "kind") == FirewallConfiguration.kind else {
                policyDocuments.append(document)
                continue
            }
            if let first = firewallAt {
                reader.error(document.location, "a second FirewallConfiguration document; the first begins at \(first) (one file configures one firewall)")
                continue
            }
            firewallAt = document.location
            firewall = FirewallConfiguration.read(document, reader: reader)
        }
        // The policy is checked even when the firewall's document is wrong: every error at once.
        var policy: PolicyDocument?
        // A pushed policy stands in for the file's documents, which are then not read.
        if pushed == nil { do {
            policy = try PolicyLoader.load(documents: policyDocuments, file: file, otherKinds: [FirewallConfiguration.kind])
        } catch {
            for e in error.errors {
                reader.error(SourceLocation(line: e.line, column: e.column), e.message.hasPrefix(PolicyLoader.missingPolicyPrefix)
                    ? missingPolicyMessage(besideFirewall: firewallAt != nil) : e.message)
            }
        } }
        try reader.check()
        if let pushed {
            // The manager's policy replaces the file's; it is checked on its own, its errors
            // named after its commit (policy@7:12:3).
            let pushedDocuments = try YAMLReader.documents(in: pushed.text, file: pushed.fileName)
            let document = try PolicyLoader.load(documents: pushedDocuments, file: pushed.fileName)
            let matcher = try PolicyMatcher(document, tags: document.addressTags)
            return ConfigurationFile(firewall: firewall, document: document, matcher: matcher)
        }
        guard let policy else { throw PolicyErrors([PolicyError(file: file, line: 1, column: 1, message: missingPolicyMessage(besideFirewall: firewallAt != nil))]) }
        let matcher = try PolicyMatcher(policy, tags: policy.addressTags)
        return ConfigurationFile(firewall: firewall, document: policy, matcher: matcher)
    }

    /// The firewall starts only with a policy: say so in the firewall's words.
    static func missingPolicyMessage(besideFirewall: Bool) -> String {
        "\(PolicyLoader.missingPolicyPrefix) rampart-firewall starts only with a policy, and this file has"
            + " no SecurityPolicy document\(besideFirewall ? " beside its FirewallConfiguration" : ""). Add one after"
            + " a line '---': 'apiVersion: rampart.io/v1', 'kind: SecurityPolicy', 'metadata: {name: NAME}',"
            + " 'spec: {zones: [...], rules: [...]}' (with no rules, traffic within a zone is allowed and"
            + " between zones denied; see docs/firewall.md and docs/policy.md)"
    }
}

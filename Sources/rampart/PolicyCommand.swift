import RampartPOSIX
import ArgumentParser
import RampartPolicy

struct PolicyCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "policy",
        abstract: "Work with policy files.",
        subcommands: [PolicyValidateCommand.self, PolicyMatchCommand.self]
    )
}

struct PolicyValidateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "validate",
        abstract: "Check a policy file (and optionally a tag file) without inspecting anything.",
        discussion: """
            Prints every error as FILE:LINE:COLUMN: message, and exits 2 if there is
            any; a file with no SecurityPolicy document (empty, only comments) is an
            error. On success prints a one-line summary and exits 0, after warnings
            (FILE:LINE:COLUMN: warning: message, on standard error) about a policy that
            allows everything: an allow rule on any zone, address, application and
            service, both default rules allowing, or one zone holding every address with
            intrazone allowed.

            Example:
              rampart policy validate Samples/policy.yaml --tags Samples/tags.yaml
            """
    )

    @Argument(help: "The policy file (YAML).")
    var policy: String

    @Option(name: .long, help: "A tag file (kind: AddressTags) to check with it.")
    var tags: String?

    func run() throws {
        let loaded = try LoadedPolicy.load(policyPath: policy, tagsPath: tags)
        let rules = loaded.matcher.rules.count
        for warning in loaded.document.warnings {
            printError("\(warning.file):\(warning.line):\(warning.column): warning: \(warning.message)")
        }
        let p = loaded.document.profiles
        let profileCount = p.threat.count + p.file.count + p.dns.count + p.url.count + p.ai.count
        let profiles = profileCount == 0 && p.groups.isEmpty ? "" : ", \(profileCount) profile\(profileCount == 1 ? "" : "s") (\(p.threat.count) threat, \(p.file.count) file blocking, \(p.dns.count) DNS security, \(p.url.count) URL filtering, \(p.ai.count) AI security), \(p.groups.count) profile group\(p.groups.count == 1 ? "" : "s")"
        print("\(policy): valid — \(rules - 2) rules (+2 defaults), \(loaded.document.zones.count) zones, \(loaded.tagCount) tagged addresses\(profiles)")
    }
}

/// A policy and its tag file, loaded, validated and compiled; errors are printed in
/// FILE:LINE:COLUMN form and end the command with exit code 2.
struct LoadedPolicy {
    var document: PolicyDocument
    var matcher: PolicyMatcher
    var tagCount: Int

    static func load(policyPath: String, tagsPath: String?) throws -> LoadedPolicy {
        do {
            let text = try readTextFile(policyPath)
            let document = try PolicyLoader.load(yaml: text, file: policyPath)
            var tags = document.addressTags
            if let tagsPath {
                tags += try TagFile.load(yaml: try readTextFile(tagsPath), file: tagsPath)
            }
            let matcher = try PolicyMatcher(document, tags: tags)
            return LoadedPolicy(document: document, matcher: matcher, tagCount: tags.count)
        } catch let errors as PolicyErrors {
            printError(errors.description)
            printError("\(errors.errors.count) error\(errors.errors.count == 1 ? "" : "s"); fix them and run again (see docs/policy.md).")
            throw ExitCode(2)
        } catch let error as FileReadError {
            printError("error: \(error)")
            throw ExitCode(2)
        }
    }
}

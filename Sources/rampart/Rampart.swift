import ArgumentParser
import RampartVersion

/// The `rampart` command: the user's entry point to Rampart on a workstation.
@main
struct Rampart: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "rampart",
        abstract: "Rampart, a Kubernetes-native container firewall: inspect captures, check policies, rules and lists, measure.",
        discussion: """
            Examples:
              rampart inspect Samples/sample.pcap --policy Samples/policy.yaml --tags Samples/tags.yaml
              rampart policy validate Samples/policy.yaml
              rampart rules check ../shared/data/et-open-2024-04/rules --min-share 0.95
              rampart lists check Samples/lists/malware.txt Samples/lists/ut1
              rampart bench engine --capture big.pcap
              rampart logs --manager http://127.0.0.1:9690 --ns shop --app postgresql --action deny --since 1h
            """,
        version: RampartVersion.current,
        subcommands: [InspectCommand.self, PolicyCommand.self, RulesCommand.self, ListsCommand.self, BenchCommand.self, LogsCommand.self, AuditsCommand.self]
    )
}

import ArgumentParser
import RampartPolicy
import RampartWire

/// "Which rule would this traffic hit?", answered by the same compiled matcher the firewall
/// and `inspect` decide with, so a policy can be checked before it is deployed.
struct PolicyMatchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "match",
        abstract: "Show the rule a session would match, and the zones it is judged in.",
        discussion: """
            Decides one session as the firewall would (tags from --tags and the policy's
            own addresses), and prints the zones of both ends, the rule, its action, and
            whether the decision is final. A decision that is not final depends on the
            application: the session is allowed while App-ID looks, and the rule printed
            after "then" applies once it knows; give --application to see it.

            Example:
              rampart policy match Samples/policy.yaml --tags Samples/tags.yaml \\
                  --from 10.244.1.10 --to 10.244.2.20 --service tcp/5432 --application postgresql
            """
    )

    @Argument(help: "The policy file (YAML).")
    var policy: String

    @Option(name: .long, help: "A tag file (kind: AddressTags) with the addresses' tags.")
    var tags: String?

    @Option(name: .long, help: "The client's address (IPv4 or IPv6).")
    var from: String

    @Option(name: .long, help: "The server's address.")
    var to: String

    @Option(name: .long, help: "PROTOCOL/PORT: tcp/443, udp/53, sctp/38412, or icmp (default: tcp/80).")
    var service = "tcp/80"

    @Option(name: .long, help: "The application App-ID named (e.g. http, postgresql); absent: not known yet.")
    var application: String?

    @Option(name: .long, help: "The tunnel's VNI (the cluster id), for zones that name vni or nodes.")
    var vni: UInt32 = 0

    @Option(name: .long, help: "The tunnel's outer source (the node that sent it), for zones that name vni or nodes.")
    var node: String?

    func validate() throws {
        guard IPAddress(from) != nil else { throw ValidationError("--from \(from) is not an IP address, e.g. 10.244.1.10") }
        guard IPAddress(to) != nil else { throw ValidationError("--to \(to) is not an IP address, e.g. 10.244.2.20") }
        _ = try parsedService()
        if let node, IPAddress(node) == nil { throw ValidationError("--node \(node) is not an IP address") }
        if let application, ApplicationCatalog.id(named: application) == nil {
            throw ValidationError("--application \(application) is not an application App-ID names; see docs/appid.md for the list")
        }
    }

    func parsedService() throws -> (IPProtocol, UInt16) {
        let lower = service.lowercased()
        if lower == "icmp" { return (.icmp, 0) }
        if lower == "icmpv6" { return (.icmpv6, 0) }
        let parts = lower.split(separator: "/", omittingEmptySubsequences: false)
        let protocols: [String: IPProtocol] = ["tcp": .tcp, "udp": .udp, "sctp": .sctp]
        guard parts.count == 2, let proto = protocols[String(parts[0])], let port = UInt16(parts[1]) else {
            throw ValidationError("--service \(service): expected PROTOCOL/PORT such as tcp/443 or udp/53, or icmp")
        }
        return (proto, port)
    }

    func run() throws {
        let loaded = try LoadedPolicy.load(policyPath: policy, tagsPath: tags)
        let matcher = loaded.matcher
        let (proto, port) = try parsedService()
        let source = IPAddress(from)!, destination = IPAddress(to)!
        let tunnelSource = node.flatMap { IPAddress($0) }
        let app = application.flatMap { ApplicationCatalog.id(named: $0) }
        let query = PolicyQuery(source: source, destination: destination, ipProtocol: proto, destinationPort: port,
                                application: app, tunnelVNI: vni, tunnelSource: tunnelSource)
        let decision = matcher.decide(query)
        let fromZone = matcher.zoneName(matcher.zone(of: source, tunnelVNI: vni, tunnelSource: tunnelSource))
        let toZone = matcher.zoneName(matcher.zone(of: destination, tunnelVNI: vni, tunnelSource: tunnelSource))
        print("zones: \(fromZone) -> \(toZone)")
        let rule = matcher.rules[Int(decision.ruleIndex)]
        if decision.isFinal {
            print("rule: \(rule.name)\(rule.isDefault ? " (default)" : "")")
            print("action: \(decision.action)")
        } else {
            print("rule: none final yet: the first candidate, \(rule.name), depends on the application")
            print("action: allow while App-ID looks; then \(rule.name) decides (give --application to see)")
        }
        var logged: [String] = []
        if decision.logAtStart { logged.append("start") }
        if decision.logAtEnd { logged.append("end") }
        print("log: \(logged.isEmpty ? "none" : logged.joined(separator: ", "))")
        let profiles = matcher.profiles.names(of: matcher.profiles(ofRule: decision.ruleIndex))
        print("profiles: \(profiles.isEmpty ? "none" : profiles.map { "\($0.name) (\($0.kind))" }.joined(separator: ", "))")
    }
}

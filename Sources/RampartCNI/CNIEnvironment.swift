/// The `CNI_*` environment of one plugin invocation, checked for the command at hand.
///
/// ```swift
/// let env = try CNIEnvironment(ProcessInfo.processInfo.environment)
/// if env.command == .add { print(env.containerID, env.interfaceName) }
/// ```
public struct CNIEnvironment: Sendable, Hashable {
    /// `CNI_COMMAND`.
    public enum Command: String, Sendable, Hashable, CaseIterable {
        case add = "ADD", del = "DEL", check = "CHECK", version = "VERSION", status = "STATUS", gc = "GC"
    }

    public var command: Command
    public var containerID: String
    /// `CNI_NETNS`; empty when the runtime gave none (allowed for DEL).
    public var netns: String
    public var interfaceName: String
    /// `CNI_ARGS` as key/value pairs in order.
    public var arguments: [(String, String)]
    public var path: [String]

    public static func == (lhs: CNIEnvironment, rhs: CNIEnvironment) -> Bool {
        lhs.command == rhs.command && lhs.containerID == rhs.containerID && lhs.netns == rhs.netns
            && lhs.interfaceName == rhs.interfaceName && lhs.path == rhs.path
            && lhs.arguments.map { "\($0)=\($1)" } == rhs.arguments.map { "\($0)=\($1)" }
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(command); hasher.combine(containerID); hasher.combine(netns); hasher.combine(interfaceName)
    }

    /// The value of `CNI_ARGS` key `name` (`K8S_POD_NAMESPACE`, `K8S_POD_NAME`).
    public func argument(_ name: String) -> String? { arguments.first { $0.0 == name }?.1 }

    /// `K8S_POD_NAMESPACE` from `CNI_ARGS`.
    public var podNamespace: String? { argument("K8S_POD_NAMESPACE") }
    /// `K8S_POD_NAME` from `CNI_ARGS`.
    public var podName: String? { argument("K8S_POD_NAME") }

    /// Reads and checks the variables `CNI_COMMAND` needs; code 4 names the variable and what
    /// was expected of it.
    ///
    /// ```swift
    /// let env = try CNIEnvironment(["CNI_COMMAND": "VERSION"])
    /// ```
    public init(_ variables: [String: String]) throws(CNIError) {
        guard let commandText = variables["CNI_COMMAND"], !commandText.isEmpty else {
            throw CNIError(.invalidEnvironment, "CNI_COMMAND is not set",
                           details: "expected one of \(Command.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        guard let command = Command(rawValue: commandText) else {
            throw CNIError(.invalidEnvironment, "CNI_COMMAND \"\(commandText)\" is not a CNI command",
                           details: "expected one of \(Command.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        self.command = command
        containerID = variables["CNI_CONTAINERID"] ?? ""
        netns = variables["CNI_NETNS"] ?? ""
        interfaceName = variables["CNI_IFNAME"] ?? ""
        path = (variables["CNI_PATH"] ?? "").split(separator: ":").map(String.init)
        arguments = try CNIEnvironment.parseArguments(variables["CNI_ARGS"] ?? "")

        switch command {
        case .add, .check, .del:
            guard !containerID.isEmpty else { throw CNIError(.invalidEnvironment, "CNI_CONTAINERID is not set", details: "\(command.rawValue) needs the container id") }
            guard containerID.utf8.allSatisfy({ CNIEnvironment.isIDByte($0) }), containerID.utf8.first.map({ $0 != UInt8(ascii: "-") && $0 != UInt8(ascii: ".") }) ?? false else {
                throw CNIError(.invalidEnvironment, "CNI_CONTAINERID \"\(containerID)\" is not a valid container id",
                               details: "expected letters, digits, '_', '.' and '-', starting with a letter or digit")
            }
            guard !interfaceName.isEmpty else { throw CNIError(.invalidEnvironment, "CNI_IFNAME is not set", details: "\(command.rawValue) needs the interface name") }
            guard interfaceName.utf8.count < 16, interfaceName != ".", interfaceName != "..",
                  !interfaceName.contains(where: { $0 == "/" || $0 == ":" || $0.isWhitespace }) else {
                throw CNIError(.invalidEnvironment, "CNI_IFNAME \"\(interfaceName)\" is not a valid interface name",
                               details: "expected 1 to 15 bytes without '/', ':' or spaces")
            }
            if command != .del && netns.isEmpty {
                throw CNIError(.invalidEnvironment, "CNI_NETNS is not set", details: "\(command.rawValue) needs the network namespace path")
            }
        case .version, .status, .gc:
            break
        }
    }

    private static func isIDByte(_ b: UInt8) -> Bool {
        (b >= UInt8(ascii: "a") && b <= UInt8(ascii: "z")) || (b >= UInt8(ascii: "A") && b <= UInt8(ascii: "Z"))
            || (b >= UInt8(ascii: "0") && b <= UInt8(ascii: "9")) || b == UInt8(ascii: "_") || b == UInt8(ascii: "-") || b == UInt8(ascii: ".")
    }

    /// `K1=V1;K2=V2`; every pair must have a key and '='. `IgnoreUnknown` is accepted like
    /// any key: this plugin ignores keys it does not use.
    static func parseArguments(_ text: String) throws(CNIError) -> [(String, String)] {
        var result: [(String, String)] = []
        for (position, pair) in text.split(separator: ";", omittingEmptySubsequences: true).enumerated() {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            guard parts.count == 2, !parts[0].isEmpty else {
                throw CNIError(.invalidEnvironment, "CNI_ARGS pair \(position + 1) \"\(pair)\" is not KEY=VALUE",
                               details: "expected KEY=VALUE pairs separated by ';'")
            }
            result.append((String(parts[0]), String(parts[1])))
        }
        return result
    }
}

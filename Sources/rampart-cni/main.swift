// rampart-cni: Rampart's chained CNI plugin. Everything but reading the process's inputs
// lives in RampartCNI (see docs/cni.md).
#if canImport(Glibc)
import Glibc
#endif
import RampartCNI
import RampartVersion

if CommandLine.arguments.dropFirst().contains("--version") {
    let text = "\(RampartVersion.current) (CNI \(CNIVersion.supported.joined(separator: ", ")))\n"
    _ = text.withCString { write(1, $0, strlen($0)) }
    exit(0)
}
if CommandLine.arguments.dropFirst().contains(where: { $0 == "--help" || $0 == "-h" }) {
    let help = """
        rampart-cni: Rampart's chained CNI plugin (CNI \(CNIVersion.supported.joined(separator: ", "))).

        A container runtime runs it after the primary plugin of a conflist, with the CNI_*
        variables set and the network configuration (with prevResult) on standard input; it
        prints prevResult back and steers protected pods' traffic to the firewall.
        rampart-node installs it. Configuration, error codes and examples: docs/cni.md.

        Example (what a runtime does, by hand):
          CNI_COMMAND=VERSION rampart-cni <<< '{"cniVersion":"1.1.0"}'
          CNI_COMMAND=ADD CNI_CONTAINERID=abc CNI_NETNS=/run/netns/pod1 CNI_IFNAME=eth0 \\
            CNI_PATH=/opt/cni/bin CNI_ARGS='K8S_POD_NAMESPACE=shop;K8S_POD_NAME=web-1' \\
            rampart-cni < config-with-prevResult.json

        """
    _ = help.withCString { write(1, $0, strlen($0)) }
    exit(0)
}

var environment: [String: String] = [:]
var pointer = environ
while let entry = pointer.pointee {
    let text = String(cString: entry)
    if let equals = text.firstIndex(of: "=") {
        environment[String(text[..<equals])] = String(text[text.index(after: equals)...])
    }
    pointer += 1
}

var input: [UInt8] = []
if environment["CNI_COMMAND"] != nil, environment["CNI_COMMAND"] != "VERSION" || isatty(0) == 0 {
    var buffer = [UInt8](repeating: 0, count: 65536)
    while input.count < 16 << 20 {
        let count = buffer.withUnsafeMutableBytes { read(0, $0.baseAddress, $0.count) }
        if count < 0 && errno == EINTR { continue }
        guard count > 0 else { break }
        input.append(contentsOf: buffer[0..<count])
    }
}

if environment["CNI_COMMAND"] == nil && isatty(0) != 0 {
    let about = "rampart-cni: Rampart's chained CNI plugin (CNI \(CNIVersion.supported.joined(separator: ", "))); run by a container runtime, see docs/cni.md\n"
    _ = about.withCString { write(2, $0, strlen($0)) }
}

let output = CNIPlugin().run(environment: environment, input: input)
var text = output.standardOutput
_ = text.withUTF8 { bytes in write(1, bytes.baseAddress, bytes.count) }
exit(output.exitCode)

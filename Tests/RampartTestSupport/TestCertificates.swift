import Foundation

/// A certificate authority and certificates made with the `openssl` command for a TLS test,
/// in a folder the test owns: a server certificate for 127.0.0.1 and localhost, client
/// certificates (common name = the client's name) signed by the same CA, and client
/// certificates signed by another CA the servers do not trust. Keys are P-256 (made in
/// milliseconds) and mode 0600, as the daemons require of a private key.
///
/// ```swift
/// let certificates = try TestCertificates.make(in: folder, clients: ["rampart-manager", "grafana"])
/// // curl --cacert \(certificates.ca) --cert \(certificates.certificate("grafana")) --key \(certificates.key("grafana")) https://127.0.0.1:PORT/
/// ```
public struct TestCertificates: Sendable {
    public let folder: URL
    /// The CA every trusted certificate is signed by (the servers' clientCA, the clients' CA).
    public var ca: String { path("ca.crt") }
    /// The server's certificate (CN firewall; subjectAltName IP 127.0.0.1, ::1, DNS localhost) and key.
    public var serverCertificate: String { path("server.crt") }
    public var serverKey: String { path("server.key") }
    /// A certificate of `name` (its common name), signed by the trusted CA or, for the names
    /// given as `foreign`, by the other one.
    public func certificate(_ name: String) -> String { path("\(name).crt") }
    public func key(_ name: String) -> String { path("\(name).key") }

    func path(_ file: String) -> String { folder.appendingPathComponent(file).path }

    /// curl's arguments to trust the CA and present `name`'s certificate.
    public func client(_ name: String) -> String { "--cacert '\(ca)' --cert '\(certificate(name))' --key '\(key(name))'" }

    /// What the real `curl` made of one request: the HTTP status ("000" when there was none),
    /// its exit code (35 and 56 are TLS handshake failures) and the body.
    public struct CurlOutcome: Sendable, CustomStringConvertible {
        public var status: String
        public var exit: Int
        public var body: String
        public var description: String { "status \(status) exit \(exit) body \(body)" }
    }

    /// `curl -s ARGUMENTS URL`, run in this folder (so `ca.crt`, `NAME.crt` resolve), at
    /// most 10 s.
    public func curl(_ url: String, _ arguments: String = "") throws -> CurlOutcome {
        let (_, output) = try TestShell.run("""
            body=$(mktemp)
            code=$(curl -s -o "$body" -w '%{http_code}' --max-time 10 \(arguments) '\(url)') && status=0 || status=$?
            echo "$code $status"; cat "$body"; rm -f "$body"
            """, in: folder)
        let first = output.split(separator: "\n", maxSplits: 1, omittingEmptySubsequences: false)
        let words = (first.first ?? "").split(separator: " ")
        return CurlOutcome(status: words.first.map(String.init) ?? "", exit: words.count > 1 ? Int(words[1]) ?? -1 : -1,
                           body: first.count > 1 ? String(first[1]) : "")
    }

    /// Makes the CA, the server's certificate, one client certificate per name of `clients`
    /// (trusted CA) and of `foreign` (the other CA), in `folder`.
    public static func make(in folder: URL, clients: [String], foreign: [String] = ["intruder"]) throws -> TestCertificates {
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let leaves = clients.map { "leaf \($0) \($0) clientAuth '' ca" } + foreign.map { "leaf \($0) \($0) clientAuth '' other-ca" }
        let script = """
            set -euo pipefail
            authority() {
                openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$1.key" -out "$1.crt" -days 2 \\
                    -subj "/CN=$2" -addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign,cRLSign 2>/dev/null
                chmod 600 "$1.key"
            }
            # leaf FILE COMMON-NAME EXTENDED-KEY-USAGE SUBJECT-ALT-NAME CA
            leaf() {
                openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$1.key" -out "$1.csr" -subj "/CN=$2" 2>/dev/null
                { echo basicConstraints=CA:FALSE; echo keyUsage=critical,digitalSignature; echo "extendedKeyUsage=$3"
                  if [[ -n $4 ]]; then echo "subjectAltName=$4"; fi; } > "$1.ext"
                openssl x509 -req -in "$1.csr" -CA "$5.crt" -CAkey "$5.key" -CAcreateserial -out "$1.crt" -days 2 -extfile "$1.ext" 2>/dev/null
                chmod 600 "$1.key"
                rm -f "$1.csr" "$1.ext"
            }
            authority ca "Rampart Test CA"
            authority other-ca "Another CA"
            leaf server firewall serverAuth "IP:127.0.0.1,IP:::1,DNS:localhost" ca
            \(leaves.joined(separator: "\n"))
            """
        let (status, output) = try TestShell.run(script, in: folder)
        guard status == 0 else {
            throw CocoaError(.fileWriteUnknown, userInfo: [NSLocalizedDescriptionKey: "openssl failed (\(status)): \(output)"])
        }
        return TestCertificates(folder: folder)
    }
}

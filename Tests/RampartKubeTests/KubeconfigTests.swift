import RampartKube
import Testing

/// The kubeconfig reader: what kubectl accepts is accepted (keys it does not use are left
/// alone), and what is wrong is named with its position.
@Suite struct KubeconfigTests {
    static let config = """
        apiVersion: v1
        kind: Config
        preferences: {colors: true}
        current-context: dev
        clusters:
          - name: dev-cluster
            cluster:
              server: https://10.0.0.1:6443
              insecure-skip-tls-verify: true
              extensions: [{name: x, extension: {}}]
        contexts:
          - name: dev
            context: {cluster: dev-cluster, user: dev-user, namespace: shop}
        users:
          - name: dev-user
            user: {token: abc}
        """

    func message(_ text: String, context: String? = nil) -> String {
        do { _ = try ClusterCredentials.kubeconfig(text: text, path: "/k/config", context: context) } catch { return "\(error)" }
        return ""
    }

    @Test func readsWhatItUsesAndLeavesTheRest() throws {
        let credentials = try ClusterCredentials.kubeconfig(text: Self.config, path: "/k/config")
        #expect(credentials.server == "https://10.0.0.1:6443")
        #expect(credentials.token == "abc")
        #expect(credentials.tls.insecureSkipVerify)
    }

    @Test func problemsAreNamedWithTheirPosition() {
        #expect(message(Self.config, context: "prod").contains("/k/config:12:3: no context named 'prod' (has: dev)"))
        #expect(message(Self.config.replacingOccurrences(of: "server: https://10.0.0.1:6443", with: "server: [a]"))
            .contains("/k/config:8:15: cluster 'dev-cluster': server must be a string, found a list"))
        #expect(message(Self.config.replacingOccurrences(of: "insecure-skip-tls-verify: true", with: "insecure-skip-tls-verify: maybe"))
            .contains("/k/config:9:33: insecure-skip-tls-verify must be true or false"))
        #expect(message(Self.config.replacingOccurrences(of: "user: {token: abc}", with: "user: {token: abc, token: def}"))
            .contains("duplicate field 'token'"))
        #expect(message(Self.config.replacingOccurrences(of: "user: {token: abc}", with: "user: {exec: {command: aws}}"))
            .contains("/k/config:16:18: user 'dev-user' authenticates through an exec"))
        #expect(message("clusters: [\n").contains("/k/config:"))
        #expect(message("").contains("the file is empty"))
    }
}

import FoundationEssentials
import RampartKube

/// Makes the credential file for a remote cluster from its watcher's token Secret: what
/// `rampart-manager credentials` writes and `credentialFile:` reads.
///
/// ```swift
/// let json = try CredentialFile.make(from: try .kubeconfig(at: "admin.kubeconfig"))
/// ```
public enum CredentialFile {
    public static func make(
        from admin: ClusterCredentials, namespace: String = "rampart-system", secret: String = RBACManifest.secret,
        server: String? = nil
    ) throws(KubeError) -> String {
        let client = try KubeClient(credentials: admin)
        let object: Secret
        do {
            object = try client.get(Secret.self, name: secret, namespace: namespace)
        } catch .status(_, 404, _) {
            throw .configuration("secret \(namespace)/\(secret) does not exist: apply the manifest of `rampart-manager rbac` first")
        }
        guard let tokenText = object.data?["token"], let token = Data(base64Encoded: tokenText), !token.isEmpty else {
            throw .configuration("secret \(namespace)/\(secret) has no token yet: wait for the token controller, or check its type is kubernetes.io/service-account-token")
        }
        var file: [String: String] = [
            "apiVersion": "rampart.io/v1",
            "kind": "ClusterCredential",
            "server": server ?? admin.server,
            "token": String(decoding: token, as: UTF8.self),
        ]
        if let ca = object.data?["ca.crt"] {
            file["certificateAuthorityData"] = ca
        } else if let ca = admin.tls.certificateAuthority {
            file["certificateAuthorityData"] = Data(ca).base64EncodedString()
        }
        // Every value is a string: JSONEncoder writes the same text JSONSerialization did.
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        guard let data = try? encoder.encode(file) else {
            throw .configuration("cannot encode the credential file")
        }
        return String(decoding: data, as: UTF8.self) + "\n"
    }
}

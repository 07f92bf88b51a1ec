import FoundationEssentials
import RampartJSON
import RampartPOSIX
import RampartConfig
import RampartPolicy

/// Where a cluster's API server is and how to authenticate to it: from a kubeconfig, from
/// the pod's own service account (in-cluster), or from a credential file a user downloads
/// for a remote cluster.
///
/// ```swift
/// let prod = try ClusterCredentials.kubeconfig(at: "/etc/rampart/prod.kubeconfig")
/// let here = try ClusterCredentials.inCluster()
/// let remote = try ClusterCredentials.credentialFile(at: "prod-sa.json", server: "https://10.0.0.1:6443")
/// ```
public struct ClusterCredentials: Sendable, Equatable {
    /// `https://host:port`, without a trailing slash.
    public var server: String
    public var tls: TLSSettings
    public var token: String?
    /// Read again when the server answers 401, so rotated service-account tokens are picked up.
    public var tokenFile: String?

    public init(server: String, tls: TLSSettings = TLSSettings(), token: String? = nil, tokenFile: String? = nil) {
        self.server = server.hasSuffix("/") ? String(server.dropLast()) : server
        self.tls = tls
        self.token = token
        self.tokenFile = tokenFile
    }

    /// The `Authorization` header to send, reading `tokenFile` when there is one.
    public func authorizationHeader() throws(KubeError) -> String? {
        if let tokenFile {
            guard let text = try? String(contentsOfFile: tokenFile, encoding: .utf8) else {
                throw .configuration("cannot read the token file \(tokenFile)")
            }
            return "Authorization: Bearer \(text.trimming(.whitespacesAndNewlines))"
        }
        return token.map { "Authorization: Bearer \($0)" }
    }

    // MARK: in-cluster

    /// The credentials of the pod this runs in: its service account's token and CA, and the
    /// API server the `KUBERNETES_SERVICE_HOST`/`_PORT` variables name.
    public static func inCluster(
        environment: [String: String] = ProcessInfo.processInfo.environment,
        directory: String = "/var/run/secrets/kubernetes.io/serviceaccount"
    ) throws(KubeError) -> ClusterCredentials {
        guard let host = environment["KUBERNETES_SERVICE_HOST"], let port = environment["KUBERNETES_SERVICE_PORT"] else {
            throw .configuration("not running in a cluster: KUBERNETES_SERVICE_HOST and KUBERNETES_SERVICE_PORT are not set; give the cluster a kubeconfig or credential file instead")
        }
        let ca = try readFile("\(directory)/ca.crt", what: "the service account's CA")
        let tokenFile = "\(directory)/token"
        guard FileManager.default.isReadableFile(atPath: tokenFile) else {
            throw .configuration("cannot read the service account token \(tokenFile); is automountServiceAccountToken off?")
        }
        let hostPart = host.contains(":") ? "[\(host)]" : host
        return ClusterCredentials(server: "https://\(hostPart):\(port)", tls: TLSSettings(certificateAuthority: ca), tokenFile: tokenFile)
    }

    // MARK: credential file

    /// A service-account credential file: either the JSON of the service account's token
    /// Secret (`kubectl get secret NAME -o json`, as the commercial plugin takes it), with
    /// the API server given apart, or the file `rampart-manager credentials` writes, which
    /// names its server itself.
    public static func credentialFile(at path: String, server: String? = nil) throws(KubeError) -> ClusterCredentials {
        try credentialFile(bytes: try readFile(path, what: "the credential file"), path: path, server: server)
    }

    /// The credential file's bytes; `path` only names it in errors.
    public static func credentialFile(bytes: [UInt8], path: String, server: String? = nil) throws(KubeError) -> ClusterCredentials {
        guard let object = try? JSONValue.parse(bytes), object.objectValue != nil else {
            throw .configuration("\(path): a credential file is a JSON object (a service-account token Secret, or the output of `rampart-manager credentials`)")
        }
        if object["kind"]?.stringValue == "Secret" {
            guard let data = object["data"]?.stringMembers else {
                throw .configuration("\(path): the Secret has no data; is it a kubernetes.io/service-account-token Secret whose token was filled in?")
            }
            guard let tokenText = data["token"], let token = Data(base64Encoded: tokenText) else {
                throw .configuration("\(path): data.token is missing or not base64")
            }
            guard let server else {
                throw .configuration("\(path) is a Secret, which does not say where the API server is: give the cluster's `server:` too")
            }
            var tls = TLSSettings()
            if let caText = data["ca.crt"] {
                guard let ca = Data(base64Encoded: caText) else { throw .configuration("\(path): data.ca.crt is not base64") }
                tls.certificateAuthority = Array(ca)
            }
            return ClusterCredentials(server: server, tls: tls, token: String(decoding: token, as: UTF8.self))
        }
        guard object["kind"]?.stringValue == "ClusterCredential" else {
            throw .configuration("\(path): kind must be Secret or ClusterCredential")
        }
        guard let fileServer = object["server"]?.stringValue ?? server else {
            throw .configuration("\(path): server is missing")
        }
        guard let token = object["token"]?.stringValue, !token.isEmpty else { throw .configuration("\(path): token is missing") }
        var tls = TLSSettings()
        if let caText = object["certificateAuthorityData"]?.stringValue {
            guard let ca = Data(base64Encoded: caText) else { throw .configuration("\(path): certificateAuthorityData is not base64") }
            tls.certificateAuthority = Array(ca)
        }
        return ClusterCredentials(server: server ?? fileServer, tls: tls, token: token)
    }

    // MARK: kubeconfig

    /// One context of a kubeconfig file (its `current-context` unless `context` names one).
    /// File paths in it are relative to the file's folder, as kubectl reads them.
    public static func kubeconfig(at path: String, context wanted: String? = nil) throws(KubeError) -> ClusterCredentials {
        let text = String(decoding: try readFile(path, what: "the kubeconfig"), as: UTF8.self)
        return try kubeconfig(text: text, path: path, context: wanted)
    }

    /// A kubeconfig's text; `path` names it in errors and anchors its relative file paths.
    public static func kubeconfig(text: String, path: String, context wanted: String? = nil) throws(KubeError) -> ClusterCredentials {
        let loaded: Any?
        do throws(PolicyErrors) { loaded = try PlainYAML.load(text, file: path) } catch {
            throw .configuration("the kubeconfig is not valid YAML: \(error)")
        }
        guard let root = loaded as? [String: Any] else {
            throw .configuration("\(path): a kubeconfig is a YAML mapping with clusters, users and contexts")
        }
        let folder = PathName.folder(of: path)
        func named(_ list: String, _ name: String, _ field: String) throws(KubeError) -> [String: Any] {
            let entries = root[list] as? [[String: Any]] ?? []
            guard let entry = entries.first(where: { $0["name"] as? String == name }) else {
                throw .configuration("\(path): no \(list.dropLast()) named '\(name)' (has: \(entries.compactMap { $0["name"] as? String }.joined(separator: ", ")))")
            }
            return entry[field] as? [String: Any] ?? [:]
        }
        guard let contextName = wanted ?? (root["current-context"] as? String) else {
            throw .configuration("\(path): no current-context; name the context to use")
        }
        let context = try named("contexts", contextName, "context")
        guard let clusterName = context["cluster"] as? String, let userName = context["user"] as? String else {
            throw .configuration("\(path): context '\(contextName)' needs a cluster and a user")
        }
        let cluster = try named("clusters", clusterName, "cluster")
        let user = try named("users", userName, "user")
        guard let server = cluster["server"] as? String else {
            throw .configuration("\(path): cluster '\(clusterName)' has no server")
        }
        func pem(_ object: [String: Any], data: String, file: String, what: String) throws(KubeError) -> [UInt8]? {
            if let text = object[data] as? String {
                guard let decoded = Data(base64Encoded: text, options: .ignoreUnknownCharacters) else {
                    throw .configuration("\(path): \(data) is not base64")
                }
                return Array(decoded)
            }
            if let file = object[file] as? String {
                return try readFile(file.hasPrefix("/") ? file : "\(folder)/\(file)", what: what)
            }
            return nil
        }
        if user["exec"] != nil || user["auth-provider"] != nil {
            throw .configuration("\(path): user '\(userName)' authenticates through an exec or auth-provider plugin, which rampart does not run; use a service-account token (`rampart-manager credentials`)")
        }
        let tls = TLSSettings(
            certificateAuthority: try pem(cluster, data: "certificate-authority-data", file: "certificate-authority", what: "the cluster's CA"),
            clientCertificate: try pem(user, data: "client-certificate-data", file: "client-certificate", what: "the client certificate"),
            clientKey: try pem(user, data: "client-key-data", file: "client-key", what: "the client key"),
            insecureSkipVerify: cluster["insecure-skip-tls-verify"] as? Bool ?? false)
        if (tls.clientCertificate == nil) != (tls.clientKey == nil) {
            throw .configuration("\(path): user '\(userName)' has a client certificate without its key, or a key without its certificate")
        }
        var tokenFile = user["tokenFile"] as? String
        if let file = tokenFile, !file.hasPrefix("/") { tokenFile = "\(folder)/\(file)" }
        return ClusterCredentials(server: server, tls: tls, token: user["token"] as? String, tokenFile: tokenFile)
    }

    static func readFile(_ path: String, what: String) throws(KubeError) -> [UInt8] {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw .configuration("cannot read \(what) at \(path)")
        }
        return Array(data)
    }
}

extension JSONValue {
    /// An object whose members are all strings, as a dictionary (the last of a repeated name
    /// wins); nil for anything else.
    var stringMembers: [String: String]? {
        guard let members = objectValue else { return nil }
        var result: [String: String] = [:]
        for (key, value) in members {
            guard let text = value.stringValue else { return nil }
            result[key] = text
        }
        return result
    }
}

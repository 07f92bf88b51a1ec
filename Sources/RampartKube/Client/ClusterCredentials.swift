import FoundationEssentials
import RampartJSON
import RampartPOSIX
import RampartConfig
import RampartHTTP

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
    /// Read like every configuration file (`RampartConfig`: positions in errors, duplicates
    /// refused), except that keys this reader does not use are left alone, as kubectl does.
    public static func kubeconfig(text: String, path: String, context wanted: String? = nil) throws(KubeError) -> ClusterCredentials {
        let r = ConfigReader(file: path)
        func problems() -> KubeError { .configuration(ConfigErrors(r.sink.sorted()).description) }
        func fail(_ node: YAMLNode?, _ message: String) -> KubeError {
            .configuration(node.map { "\(path):\($0.location): \(message)" } ?? "\(path): \(message)")
        }
        guard let document = r.document(text), let root = r.members(document, "the kubeconfig") else { throw problems() }
        let folder = PathName.folder(of: path)
        func field(_ fields: [String: YAMLNode], _ key: String, _ what: String) throws(KubeError) -> String? {
            guard let node = fields[key], !node.isNull else { return nil }
            guard case .scalar(let value, _, _) = node else { throw fail(node, "\(what) must be a string, found \(node.kindName)") }
            return value
        }
        func named(_ list: String, _ name: String, _ member: String) throws(KubeError) -> [String: YAMLNode] {
            var entries: [YAMLNode] = []
            if let node = root[list], !node.isNull {
                guard case .sequence(let items, _) = node else { throw fail(node, "\(list) must be a list, found \(node.kindName)") }
                entries = items
            }
            var names: [String] = []
            for entry in entries {
                guard let members = r.members(entry, "an entry of \(list)") else { throw problems() }
                guard let entryName = try field(members, "name", "the name of an entry of \(list)") else { continue }
                guard entryName == name else {
                    names.append(entryName)
                    continue
                }
                guard let inner = members[member], !inner.isNull else { return [:] }
                guard let fields = r.members(inner, "\(list.dropLast()) '\(name)': \(member)") else { throw problems() }
                return fields
            }
            throw fail(root[list], "no \(list.dropLast()) named '\(name)' (has: \(names.joined(separator: ", ")))")
        }
        let current = try field(root, "current-context", "current-context")
        guard let contextName = wanted ?? current else {
            throw .configuration("\(path): no current-context; name the context to use")
        }
        let context = try named("contexts", contextName, "context")
        guard let clusterName = try field(context, "cluster", "context '\(contextName)': cluster"),
              let userName = try field(context, "user", "context '\(contextName)': user")
        else {
            throw fail(nil, "context '\(contextName)' needs a cluster and a user")
        }
        let cluster = try named("clusters", clusterName, "cluster")
        let user = try named("users", userName, "user")
        guard let server = try field(cluster, "server", "cluster '\(clusterName)': server") else {
            throw .configuration("\(path): cluster '\(clusterName)' has no server")
        }
        func pem(_ object: [String: YAMLNode], data: String, file: String, what: String) throws(KubeError) -> [UInt8]? {
            if let encoded = try field(object, data, data) {
                guard let decoded = Data(base64Encoded: encoded, options: .ignoreUnknownCharacters) else {
                    throw fail(object[data], "\(data) is not base64")
                }
                return Array(decoded)
            }
            if let file = try field(object, file, file) {
                return try readFile(file.hasPrefix("/") ? file : "\(folder)/\(file)", what: what)
            }
            return nil
        }
        if user["exec"] != nil || user["auth-provider"] != nil {
            throw fail(user["exec"] ?? user["auth-provider"], "user '\(userName)' authenticates through an exec or auth-provider plugin, which rampart does not run; use a service-account token (`rampart-manager credentials`)")
        }
        var insecure = false
        if let node = cluster["insecure-skip-tls-verify"] {
            guard let flag = r.bool(node, "insecure-skip-tls-verify") else { throw problems() }
            insecure = flag
        }
        let tls = TLSSettings(
            certificateAuthority: try pem(cluster, data: "certificate-authority-data", file: "certificate-authority", what: "the cluster's CA"),
            clientCertificate: try pem(user, data: "client-certificate-data", file: "client-certificate", what: "the client certificate"),
            clientKey: try pem(user, data: "client-key-data", file: "client-key", what: "the client key"),
            insecureSkipVerify: insecure)
        if (tls.clientCertificate == nil) != (tls.clientKey == nil) {
            throw .configuration("\(path): user '\(userName)' has a client certificate without its key, or a key without its certificate")
        }
        // Problems the reader recorded and read past (a key given twice) refuse the file too.
        if !r.sink.isEmpty { throw problems() }
        var tokenFile = try field(user, "tokenFile", "tokenFile")
        if let file = tokenFile, !file.hasPrefix("/") { tokenFile = "\(folder)/\(file)" }
        return ClusterCredentials(server: server, tls: tls, token: try field(user, "token", "token"), tokenFile: tokenFile)
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

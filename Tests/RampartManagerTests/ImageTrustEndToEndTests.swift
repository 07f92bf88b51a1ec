import Foundation
import RampartTestSupport
import Testing
import RampartHTTP

#if canImport(Glibc)
import Glibc
#endif

/// Image trust end to end, with the built executables: the API test server → the real
/// `rampart-manager` (configuration file, SIGHUP reload, admission webhook over HTTPS) → the
/// real `rampart-firewall`. A pod's image trust reaches the firewall as a tag; a tag that
/// moves to another digest on the node, and a rule change, change it under the running pod;
/// and creates through the API test server's API port run the webhook as kube-apiserver
/// would (the ValidatingWebhookConfiguration the chart renders, with its namespaceSelector).
@Suite("Image trust end to end: API server → manager → firewall", .serialized)
struct ImageTrustEndToEndTests {
    static let digestA = "sha256:" + String(repeating: "a", count: 64)
    static let digestB = "sha256:" + String(repeating: "b", count: 64)

    /// A running pod whose node pulled `imageID` for its container.
    static func pod(_ ns: String, _ name: String, ip: String, image: String, imageID: String) -> String {
        #"{"kind":"Pod","apiVersion":"v1","metadata":{"name":"\#(name)","namespace":"\#(ns)","labels":{"app":"\#(name)"}},"spec":{"nodeName":"worker-1","containers":[{"name":"app","image":"\#(image)"}]},"status":{"phase":"Running","podIP":"\#(ip)","podIPs":[{"ip":"\#(ip)"}],"containerStatuses":[{"name":"app","image":"\#(image)","imageID":"\#(imageID)","ready":true,"restartCount":0}]}}"#
    }

    static func configuration(folder: URL, kubeconfig: String, firewall: String, webhookPort: Int, probes: Int, api: Int, trusted: [String]) -> String {
        """
        apiVersion: rampart.io/v1
        kind: ManagerConfiguration
        spec:
          listen: 127.0.0.1:\(api)
          probes: 127.0.0.1:\(probes)
          state: \(folder.path)/manager.sqlite
          clusters: [{name: lab, clusterID: 7, kubeconfig: \(kubeconfig)}]
          firewalls: [{name: fw-1, admin: "\(firewall)"}]
          imageTrust:
            default: deny
            rules:
        \(trusted.enumerated().map { "      - {name: reviewed-\($0.offset), registry: docker.io, repository: nginx, tag: \"1.25\", digest: \"\($0.element)\", effect: allow}" }.joined(separator: "\n"))
              - {name: hub-official, registry: docker.io, repository: "library/*", effect: alert}
          admission:
            listen: 127.0.0.1:\(webhookPort)
            tls: {certificate: server.crt, key: server.key}
            exemptNamespaces: [kube-system, rampart-system]
        """
    }

    @Test func trustReachesTheFirewallFollowsDigestsAndRulesAndGuardsCreates() throws {
        let server = try KubeTestServer.start(packageRoot: packageRoot)
        defer { server.stop() }
        try server.control("POST", "/objects", #"[{"kind":"Namespace","apiVersion":"v1","metadata":{"name":"shop"}},{"kind":"Namespace","apiVersion":"v1","metadata":{"name":"kube-system"}}]"#)
        try server.control("POST", "/objects", ImageTrustEndToEndTests.pod("shop", "web-1", ip: "10.244.1.1", image: "nginx:1.25",
                                                                           imageID: "docker.io/library/nginx@\(ImageTrustEndToEndTests.digestA)"))
        let firewall = try LoopbackFirewall()
        defer { firewall.stop() }
        let folder = firewall.folder
        let certificates = try TestCertificates.make(in: folder, clients: [])
        let webhookPort = freePort(), probes = freePort(), apiPort = freePort()
        let file = folder.appendingPathComponent("manager.yaml")
        func configure(trusted: [String]) throws {
            try ImageTrustEndToEndTests.configuration(folder: folder, kubeconfig: server.kubeconfig, firewall: firewall.admin, webhookPort: webhookPort,
                                                      probes: probes, api: apiPort, trusted: trusted).write(to: file, atomically: true, encoding: .utf8)
        }
        try configure(trusted: [ImageTrustEndToEndTests.digestA])
        let binary = try #require(TestShell.executable(named: "rampart-manager", packageRoot: packageRoot))
        let (status, output) = try TestShell.run("true\n'\(binary.path)' run --config manager.yaml 2>manager.log </dev/null & echo $!", in: folder)
        let pid = try #require(Int32(output.trimmingCharacters(in: .whitespacesAndNewlines)), "\(status) \(output)")
        var stopped = false
        func stopManager() {
            guard !stopped else { return }
            stopped = true
            kill(pid, SIGTERM)
            var code: Int32 = 0
            for _ in 0..<250 where waitpid(pid, &code, WNOHANG) == 0 { usleep(20_000) }
            kill(pid, SIGKILL)
            waitpid(pid, &code, 0)
        }
        defer { stopManager() }
        func log() -> String { (try? String(contentsOf: folder.appendingPathComponent("manager.log"), encoding: .utf8)) ?? "" }

        // The digest the node ran is the one reviewed: trusted, at the firewall.
        #expect(eventually { firewall.tags(of: "10.244.1.1").contains("image-trust:trusted") }, "\(firewall.tags(of: "10.244.1.1")) \(log())")
        // The tag moved: the node now runs another digest under nginx:1.25.
        try server.control("POST", "/objects", ImageTrustEndToEndTests.pod("shop", "web-1", ip: "10.244.1.1", image: "nginx:1.25",
                                                                           imageID: "docker.io/library/nginx@\(ImageTrustEndToEndTests.digestB)"))
        #expect(eventually { firewall.tags(of: "10.244.1.1").contains("image-trust:alert") }, "\(firewall.tags(of: "10.244.1.1"))")
        // The rules change (the new digest reviewed), reloaded by SIGHUP: judged again at once.
        try configure(trusted: [ImageTrustEndToEndTests.digestA, ImageTrustEndToEndTests.digestB])
        kill(pid, SIGHUP)
        #expect(eventually { firewall.tags(of: "10.244.1.1").contains("image-trust:trusted") }, "\(firewall.tags(of: "10.244.1.1")) \(log())")
        #expect(log().contains("image-trust-reloaded"))
        // A pod of an image nothing vouches for: untrusted at the firewall, listed by the API.
        try server.control("POST", "/objects", ImageTrustEndToEndTests.pod("shop", "miner", ip: "10.244.1.9", image: "quay.io/evil/miner:1",
                                                                           imageID: "quay.io/evil/miner@\(ImageTrustEndToEndTests.digestB)"))
        #expect(eventually { firewall.tags(of: "10.244.1.9").contains("image-trust:untrusted") })

        // The webhook as the chart registers it, called by the API test server on creates.
        let bundle = try Data(contentsOf: URL(fileURLWithPath: certificates.ca)).base64EncodedString()
        try server.control("POST", "/objects", """
            {"kind":"ValidatingWebhookConfiguration","apiVersion":"admissionregistration.k8s.io/v1","metadata":{"name":"rampart-image-trust"},
             "webhooks":[{"name":"images.rampart.io","admissionReviewVersions":["v1"],"sideEffects":"None","failurePolicy":"Fail","timeoutSeconds":5,
               "clientConfig":{"url":"https://127.0.0.1:\(webhookPort)/admission/lab","caBundle":"\(bundle)"},
               "namespaceSelector":{"matchExpressions":[{"key":"kubernetes.io/metadata.name","operator":"NotIn","values":["kube-system","rampart-system"]}]},
               "rules":[{"operations":["CREATE","UPDATE"],"apiGroups":[""],"apiVersions":["v1"],"resources":["pods","pods/ephemeralcontainers"],"scope":"Namespaced"},
                        {"operations":["CREATE","UPDATE"],"apiGroups":["apps"],"apiVersions":["v1"],"resources":["deployments","statefulsets","daemonsets","replicasets"],"scope":"Namespaced"},
                        {"operations":["CREATE","UPDATE"],"apiGroups":["batch"],"apiVersions":["v1"],"resources":["jobs","cronjobs"],"scope":"Namespaced"}]}]}
            """)
        /// `kubectl create` against the API test server: the status, the Warning headers, the body.
        func create(_ ns: String, _ resource: String, _ object: String, dryRun: Bool = false) throws -> (status: String, warnings: String, body: String) {
            let name = "create-\(UUID().uuidString.prefix(8))"
            try object.write(to: folder.appendingPathComponent(name + ".json"), atomically: true, encoding: .utf8)
            let path = resource == "pods" ? "/api/v1/namespaces/\(ns)/pods" : "/apis/\(resource)"
            let (_, output) = try TestShell.run("""
                curl -s -o \(name).body -D \(name).head -w '%{http_code}' --max-time 15 --cacert '\(server.caPath)' -H 'Authorization: Bearer \(server.token)' \
                    -H 'Content-Type: application/json' --data-binary @\(name).json 'https://127.0.0.1:\(server.apiPort)\(path)\(dryRun ? "?dryRun=All" : "")'
                echo; grep -i '^warning:' \(name).head || true; echo ==; cat \(name).body
                """, in: folder)
            let parts = output.components(separatedBy: "\n==\n")
            let head = parts.first?.split(separator: "\n", maxSplits: 1, omittingEmptySubsequences: false) ?? []
            return (String(head.first ?? ""), head.count > 1 ? String(head[1]) : "", parts.count > 1 ? parts[1] : "")
        }
        let evil = AdmissionReviews.object(.pod, "shop", "miner-2", [("app", "quay.io/evil/miner:1")])
        var result = try create("shop", "pods", evil)
        #expect(result.status == "403", "\(result)")
        #expect(result.body.contains(#"admission webhook \"images.rampart.io\" denied the request: rampart image trust: Pod shop/miner-2: image \"quay.io/evil/miner:1\" (container \"app\") matches no image trust rule; the default is deny"#), "\(result)")
        #expect((try? server.control("GET", "/objects/pods/shop/miner-2")) == nil, "a denied pod is not stored")
        result = try create("shop", "pods", AdmissionReviews.object(.pod, "shop", "web-2", [("web", "nginx:1.27")]))
        #expect(result.status == "201" && result.warnings.contains(#"matches image trust rule 'hub-official' (alert)"#), "\(result)")
        result = try create("shop", "batch/v1/namespaces/shop/cronjobs", AdmissionReviews.object(.cronJob, "shop", "nightly", [("c", "quay.io/evil/miner:1")]))
        #expect(result.status == "403" && result.body.contains("CronJob shop/nightly"), "\(result)")
        // A dry run is judged, answered, and neither stored nor recorded.
        result = try create("shop", "pods", AdmissionReviews.object(.pod, "shop", "miner-3", [("app", "quay.io/evil/miner:1")]), dryRun: true)
        #expect(result.status == "403", "\(result)")
        // kube-system is outside the webhook's namespaceSelector: never sent, so created.
        result = try create("kube-system", "pods", AdmissionReviews.object(.pod, "kube-system", "agent", [("a", "quay.io/evil/miner:1")]))
        #expect(result.status == "201", "\(result)")

        let api = "http://127.0.0.1:\(probes)"
        let metrics = try HTTPConnection(connectTimeout: 1).request(url: api + "/metrics", timeout: 2).text
        #expect(metrics.contains(#"rampart_manager_admission_reviews_total{cluster="lab",decision="deny"} 2"#), "\(metrics)")
        #expect(metrics.contains(#"rampart_manager_admission_reviews_total{cluster="lab",decision="alert"} 1"#), "\(metrics)")
        #expect(metrics.contains("rampart_manager_admission_dry_runs_total 1"), "\(metrics)")
        #expect(metrics.contains("rampart_manager_admission_exempt_total 0"), "the API server never sent kube-system's: \(metrics)")
        #expect(metrics.contains(#"rampart_manager_image_trust_pods{cluster="lab",verdict="deny"} 2"#), "miner, kube-system/agent, and nothing else: \(metrics)")
        #expect(log().contains(#""event":"admission-denied""#) && log().contains("CronJob shop/nightly"))
        let untrusted = try HTTPConnection(connectTimeout: 1).request(url: "http://127.0.0.1:\(apiPort)/image-trust/pods", timeout: 2).text
        #expect(untrusted.contains(#""pod":"shop\/miner""#) && untrusted.contains(#""pod":"kube-system\/agent""#) && !untrusted.contains("web-"), "\(untrusted)")
        let decisions = try HTTPConnection(connectTimeout: 1).request(url: "http://127.0.0.1:\(apiPort)/admission", timeout: 2).text
        #expect(decisions.contains("miner-2") && decisions.contains("nightly") && decisions.contains("web-2") && !decisions.contains("miner-3"), "\(decisions)")

        // The webhook gone: failurePolicy Fail refuses creates with the API server's message.
        stopManager()
        result = try create("shop", "pods", AdmissionReviews.object(.pod, "shop", "web-3", [("web", "registry.example.com/platform/web:1")]))
        #expect(result.status == "500" && result.body.contains(#"failed calling webhook \"images.rampart.io\""#), "\(result)")
    }
}

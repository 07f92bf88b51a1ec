import Foundation
import RampartTestSupport
import Testing
import RampartConfig
@testable import RampartKube
@testable import RampartManager

/// The manager's validating admission webhook over HTTPS, in process: real AdmissionReview
/// JSON (as kube-apiserver sends it, `AdmissionReviews`) POSTed by `curl` and by the Swift
/// HTTP client to a listener with a certificate `openssl` made; namespaces and their labels
/// come from the API test server the manager watches.
@Suite("Image trust: admission webhook", .serialized)
struct AdmissionWebhookTests {
    static let digestA = "sha256:" + String(repeating: "a", count: 64)

    static func configuration(folder: URL, kubeconfig: String) -> String {
        """
        apiVersion: rampart.io/v1
        kind: ManagerConfiguration
        spec:
          listen: 127.0.0.1:0
          probes: off
          state: \(folder.path)/m.sqlite
          clusters: [{name: lab, clusterID: 7, kubeconfig: \(kubeconfig)}]
          imageTrust:
            default: deny
            rules:
              - {name: platform, registry: registry.example.com, repository: "platform/*", effect: allow}
              - {name: pinned-nginx, registry: docker.io, repository: nginx, digest: \(digestA), effect: allow}
              - {name: pay-strict, namespaceSelector: "team=pay", effect: deny}
              - {name: hub-official, registry: docker.io, repository: "library/*", tag: "1.*", effect: alert}
          admission:
            listen: 127.0.0.1:0
            tls: {certificate: server.crt, key: server.key}
            exemptNamespaces: [kube-system, rampart-system]
        """
    }

    @Test func reviewsAreAnsweredOverHTTPSAndRealDecisionsRecorded() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("rampart-admission-\(UUID().uuidString.prefix(8))")
        defer { try? FileManager.default.removeItem(at: folder) }
        let certificates = try TestCertificates.make(in: folder, clients: [])
        let server = try KubeTestServer.start(packageRoot: packageRoot)
        defer { server.stop() }
        try server.control("POST", "/objects", #"[{"kind":"Namespace","apiVersion":"v1","metadata":{"name":"shop"}},{"kind":"Namespace","apiVersion":"v1","metadata":{"name":"pay","labels":{"team":"pay"}}}]"#)
        let file = folder.appendingPathComponent("manager.yaml").path
        try AdmissionWebhookTests.configuration(folder: folder, kubeconfig: server.kubeconfig).write(toFile: file, atomically: true, encoding: .utf8)
        let configuration = try ManagerConfiguration.load(path: file)
        let lines = LogLines()
        let manager = try Manager(configuration: configuration, log: lines.append)
        manager.start()
        defer { manager.stop() }
        #expect(eventually { manager.isReady }, "\(manager.readiness())")
        let api = ManagerAPI(manager: manager)
        let admission = try #require(configuration.admission)
        let webhook = try api.admissionListener(address: admission.listen, tls: TLSServerContext(admission.tls, setting: "spec.admission.tls"))
        webhook.start()
        defer { webhook.stop() }
        let url = "https://127.0.0.1:\(webhook.port)/admission/lab?timeout=10s"

        /// POSTs with curl: the answer's `response`, the HTTP status.
        func post(_ review: (json: String, uid: String), to target: String = url) throws -> (status: String, response: [String: Any]) {
            let name = "review-\(UUID().uuidString.prefix(8)).json"
            try review.json.write(to: folder.appendingPathComponent(name), atomically: true, encoding: .utf8)
            let outcome = try certificates.curl(target, "--cacert ca.crt -H 'Content-Type: application/json' --data-binary @\(name)")
            let object = (try? JSONSerialization.jsonObject(with: Data(outcome.body.utf8))) as? [String: Any]
            if outcome.status == "200" {
                #expect(object?["apiVersion"] as? String == "admission.k8s.io/v1" && object?["kind"] as? String == "AdmissionReview", "\(outcome)")
                #expect((object?["response"] as? [String: Any])?["uid"] as? String == review.uid, "the answer echoes request.uid: \(outcome)")
            }
            return (outcome.status, object?["response"] as? [String: Any] ?? object ?? ["body": outcome.body])
        }
        func message(_ response: [String: Any]) -> String { (response["status"] as? [String: Any])?["message"] as? String ?? "" }

        // Allowed: a platform image; a pinned digest.
        let platform = AdmissionReviews.review(.pod, namespace: "shop", name: "api", object: AdmissionReviews.object(.pod, "shop", "api", [("api", "registry.example.com/platform/api:2.1")]))
        var answer = try post(platform)
        #expect(answer.status == "200" && answer.response["allowed"] as? Bool == true && answer.response["warnings"] == nil, "\(answer)")
        answer = try post(AdmissionReviews.review(.pod, namespace: "shop", name: "pinned", object: AdmissionReviews.object(.pod, "shop", "pinned", [("web", "nginx@\(AdmissionWebhookTests.digestA)")])))
        #expect(answer.response["allowed"] as? Bool == true, "\(answer)")
        // A tag cannot satisfy a digest rule at admission (the digest is unknown until pulled): on to the next rules.
        answer = try post(AdmissionReviews.review(.pod, namespace: "shop", name: "web", object: AdmissionReviews.object(.pod, "shop", "web", [("web", "nginx:1.25")])))
        #expect(answer.response["allowed"] as? Bool == true, "\(answer)")
        let warnings = answer.response["warnings"] as? [String] ?? []
        #expect(warnings == [#"rampart image trust: image "nginx:1.25" (container "web") matches image trust rule "hub-official" (alert)"#], "\(answer)")

        // Denied: the default; a namespace rule by the namespace's labels; the message names rule and image.
        let miner = AdmissionReviews.review(.pod, namespace: "shop", name: "miner", object: AdmissionReviews.object(.pod, "shop", "miner", [("app", "quay.io/evil/miner:latest")]))
        answer = try post(miner)
        #expect(answer.status == "200" && answer.response["allowed"] as? Bool == false, "\(answer)")
        #expect((answer.response["status"] as? [String: Any])?["code"] as? Int == 403)
        #expect(message(answer.response) == #"rampart image trust: Pod shop/miner: image "quay.io/evil/miner:latest" (container "app") matches no image trust rule; the default is deny"#, "\(answer)")
        answer = try post(AdmissionReviews.review(.pod, namespace: "pay", name: "web", object: AdmissionReviews.object(.pod, "pay", "web", [("web", "nginx:1.25")])))
        #expect(message(answer.response).contains(#"matches image trust rule "pay-strict" (deny)"#), "\(answer)")
        #expect(answer.response["allowed"] as? Bool == false)

        // Pod templates of every workload kind; init and ephemeral containers count.
        for kind in [AdmissionReviews.Kind.deployment, .statefulSet, .daemonSet, .job] {
            answer = try post(AdmissionReviews.review(kind, namespace: "shop", name: "w", object: AdmissionReviews.object(kind, "shop", "w", [("c", "quay.io/evil/miner:1")])))
            #expect(answer.response["allowed"] as? Bool == false && message(answer.response).hasPrefix("rampart image trust: \(kind.kind) shop/w: "), "\(kind.kind): \(answer)")
            answer = try post(AdmissionReviews.review(kind, namespace: "shop", name: "w", object: AdmissionReviews.object(kind, "shop", "w", [("c", "registry.example.com/platform/w:1")])))
            #expect(answer.response["allowed"] as? Bool == true, "\(kind.kind): \(answer)")
        }
        answer = try post(AdmissionReviews.review(.cronJob, namespace: "shop", name: "nightly", object: AdmissionReviews.object(
            .cronJob, "shop", "nightly", [("c", "registry.example.com/platform/batch:1")], initContainers: [("fetch", "quay.io/evil/fetch:1")])))
        #expect(message(answer.response).contains(#"image "quay.io/evil/fetch:1" (init container "fetch")"#), "\(answer)")
        let running = AdmissionReviews.object(.pod, "shop", "api", [("api", "registry.example.com/platform/api:2.1")])
        let debugged = AdmissionReviews.object(.pod, "shop", "api", [("api", "registry.example.com/platform/api:2.1")], ephemeral: [("debugger-x7", "quay.io/evil/tools:1")])
        answer = try post(AdmissionReviews.review(.pod, namespace: "shop", name: "api", object: debugged, oldObject: running, operation: "UPDATE", subResource: "ephemeralcontainers"))
        #expect(message(answer.response).hasPrefix(#"rampart image trust: Pod/ephemeralcontainers shop/api: image "quay.io/evil/tools:1" (ephemeral container "debugger-x7")"#), "\(answer)")

        // An UPDATE is judged by the images it brings, not by what already ran.
        let old = AdmissionReviews.object(.pod, "shop", "legacy", [("app", "quay.io/evil/miner:1")])
        answer = try post(AdmissionReviews.review(.pod, namespace: "shop", name: "legacy", object: old, oldObject: old, operation: "UPDATE"))
        #expect(answer.response["allowed"] as? Bool == true, "removing a finalizer is never refused: \(answer)")
        answer = try post(AdmissionReviews.review(.pod, namespace: "shop", name: "legacy", object: nil, oldObject: old, operation: "DELETE"))
        #expect(answer.response["allowed"] as? Bool == true, "\(answer)")

        // Dry run: answered the same, never recorded; exempt namespaces: allowed, not recorded.
        let before = try manager.imageTrust.admissions(from: 0, to: .infinity).count
        let dry = AdmissionReviews.review(.pod, namespace: "shop", name: "miner", object: AdmissionReviews.object(.pod, "shop", "miner", [("app", "quay.io/evil/miner:latest")]), dryRun: true)
        answer = try post(dry)
        #expect(answer.response["allowed"] as? Bool == false && message(answer.response).contains("the default is deny"), "\(answer)")
        answer = try post(AdmissionReviews.review(.pod, namespace: "kube-system", name: "x", object: AdmissionReviews.object(.pod, "kube-system", "x", [("x", "quay.io/evil/miner:1")])))
        #expect(answer.response["allowed"] as? Bool == true, "\(answer)")
        #expect(try manager.imageTrust.admissions(from: 0, to: .infinity).count == before)

        // The same review from Swift's HTTP client over TLS, verified against the CA.
        let connection = try HTTPConnection(tls: TLSSettings(certificateAuthority: Array(try Data(contentsOf: URL(fileURLWithPath: certificates.ca)))))
        let swiftReview = AdmissionReviews.review(.pod, namespace: "shop", name: "miner-2", object: AdmissionReviews.object(.pod, "shop", "miner-2", [("app", "quay.io/evil/miner:latest")]))
        let response = try connection.request(method: "POST", url: url, headers: ["Content-Type: application/json"], body: Array(swiftReview.json.utf8), timeout: 5)
        #expect(response.status == 200 && response.text.contains(#""allowed":false"#) && response.text.contains(swiftReview.uid), "\(response.text)")

        // What is not a review, or not for a cluster the manager knows, or not HTTPS.
        #expect(try certificates.curl(url, "--cacert ca.crt --data-binary '{\"kind\":\"AdmissionReview\"}'").status == "400")
        #expect(try certificates.curl("https://127.0.0.1:\(webhook.port)/admission/elsewhere", "--cacert ca.crt --data-binary @/dev/null").status == "404")
        #expect(try certificates.curl("https://127.0.0.1:\(webhook.port)/admission/lab", "--cacert ca.crt").status == "405")
        #expect(try certificates.curl("http://127.0.0.1:\(webhook.port)/admission/lab", "--data-binary @/dev/null").status == "400")
        let v1beta1 = platform.json.replacingOccurrences(of: "admission.k8s.io/v1", with: "admission.k8s.io/v1beta1")
        #expect(try post((v1beta1, platform.uid)).status == "400")

        // The record: real decisions only, with the rule; the API lists them; the log names the denials.
        let records = try manager.imageTrust.admissions(from: 0, to: .infinity)
        #expect(records.contains { $0.uid == miner.uid && $0.decision == "deny" && $0.rules == "default" && $0.user == "kubernetes-admin" })
        #expect(records.contains { $0.uid == platform.uid && $0.decision == "allow" })
        #expect(!records.contains { $0.uid == dry.uid })
        #expect(!records.contains { $0.namespace == "kube-system" })
        let denied = api.handle(HTTPRequest(method: "GET", path: "/admission", query: ["decision": "deny"]))
        #expect(denied.status == 200 && denied.text.contains(miner.uid) && !denied.text.contains(platform.uid), "\(denied.text)")
        #expect(lines.all.contains { $0.contains(#""event":"admission-denied""#) && $0.contains(miner.uid) })
        let metrics = api.handle(HTTPRequest(method: "GET", path: "/metrics")).text
        #expect(metrics.contains("rampart_manager_admission_dry_runs_total 1"), "\(metrics)")
        #expect(metrics.contains("rampart_manager_admission_exempt_total 1"))
        #expect(metrics.contains(#"rampart_manager_admission_reviews_total{cluster="lab",decision="deny"}"#))
        #expect(metrics.contains("rampart_manager_admission_seconds_count"))
    }

    @Test func aWebhookListenerWithoutTLSIsRefused() {
        // It takes anyone's requests: only over TLS, as the API server calls webhooks anyway.
        #expect(throws: HTTPConfigurationError.self) {
            try HTTPServer(name: "admission", listen: "0.0.0.0:0", access: .webhook) { _ in HTTPReply(200, "{}") }
        }
    }

    @Test func theConfigurationIsCheckedWithPositions() throws {
        let text = """
            apiVersion: rampart.io/v1
            kind: ManagerConfiguration
            spec:
              clusters: [{name: lab, clusterID: 7, inCluster: true}]
              imageTrust:
                default: maybe
                rules:
                  - {name: a, registry: docker.io, efect: deny}
                  - {name: b, clusters: [prod], effect: allow}
                  - {name: c, digest: sha256:abc, effect: deny}
                  - {name: d, namespaceSelector: "team in x", effect: alert}
                  - {name: a, effect: allow}
              admission:
                tls: off
            """
        #expect(throws: ConfigErrors.self) { try ManagerConfiguration.parse(text, file: "m.yaml") }
        do { _ = try ManagerConfiguration.parse(text, file: "m.yaml") } catch {
            let report = error.description
            #expect(report.contains("m.yaml:6:14: spec.imageTrust.default must be allow, alert or deny"), "\(report)")
            #expect(report.contains("m.yaml:8:40: unknown field 'efect' in image trust rule 'a'; did you mean 'effect'?"), "\(report)")
            #expect(report.contains("image trust rule 'a' is missing the required field 'effect'"), "\(report)")
            #expect(report.contains("m.yaml:9:30: image trust rule 'b': no cluster named 'prod' (known: lab)"), "\(report)")
            #expect(report.contains("m.yaml:10:27: image trust rule 'c': digest must be sha256:"), "\(report)")
            #expect(report.contains("image trust rule 'd': namespaceSelector: 'team in x' must be KEY, !KEY, KEY=VALUE, KEY!=VALUE, KEY in (A,B) or KEY notin (A,B)"), "\(report)")
            #expect(report.contains("m.yaml:12:16: image trust rule name 'a' is used twice"), "\(report)")
            #expect(report.contains("m.yaml:14:10: spec.admission.tls cannot be off"), "\(report)")
        }
        let good = try ManagerConfiguration.parse("""
            apiVersion: rampart.io/v1
            kind: ManagerConfiguration
            spec:
              imageTrust:
                rules: [{name: hub, registry: index.docker.io, repository: nginx, tag: "1.*", effect: alert}]
            """, file: "m.yaml")
        let rule = try #require(good.imageTrust?.policy.rules.first)
        #expect(rule.registry?.text == "docker.io" && rule.repository?.text == "library/nginx")
        #expect(good.imageTrust?.policy.defaultEffect == .alert)
    }
}

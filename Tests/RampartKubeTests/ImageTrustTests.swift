import Foundation
import Testing
@testable import RampartKube

private let digestA = "sha256:" + String(repeating: "a", count: 64)
private let digestB = "sha256:" + String(repeating: "b", count: 64)

private func rule(_ name: String, _ effect: ImageTrustEffect, registry: String? = nil, repository: String? = nil, tag: String? = nil,
                  digest: String? = nil, namespaces: [String]? = nil, selector: String? = nil, clusters: [String]? = nil) -> ImageTrustRule {
    var rule = ImageTrustRule(name: name, effect: effect)
    rule.registry = registry.map(ImagePattern.init)
    rule.repository = repository.map(ImagePattern.init)
    rule.tag = tag.map(ImagePattern.init)
    rule.digest = digest
    rule.namespaces = namespaces
    rule.namespaceSelector = selector.map { try! LabelSelector.parse($0) }
    rule.clusters = clusters
    return rule
}

private func trustPod(_ ns: String, _ name: String, ip: String?, containers: [(String, String, String?)],
                      initContainers: [(String, String, String?)] = [], ephemeral: [(String, String, String?)] = [], phase: String = "Running") -> Pod {
    func specs(_ list: [(String, String, String?)]) -> [Pod.Container]? { list.isEmpty ? nil : list.map { Pod.Container(name: $0.0, image: $0.1) } }
    func statuses(_ list: [(String, String, String?)]) -> [Pod.ContainerStatus]? {
        list.isEmpty ? nil : list.map { Pod.ContainerStatus(name: $0.0, image: $0.1, imageID: $0.2) }
    }
    return Pod(metadata: ObjectMeta(name: name, namespace: ns),
               spec: .init(nodeName: "worker-1", containers: specs(containers), initContainers: specs(initContainers), ephemeralContainers: specs(ephemeral)),
               status: .init(phase: phase, podIP: ip, podIPs: ip.map { [.init(ip: $0)] }, containerStatuses: statuses(containers),
                             initContainerStatuses: statuses(initContainers), ephemeralContainerStatuses: statuses(ephemeral)))
}

@Suite("Image trust: references, patterns, selectors, rules")
struct ImageTrustTests {
    @Test func referencesAreReadAsRuntimesReadThem() throws {
        let nginx = try #require(ImageReference("nginx"))
        #expect(nginx == ImageReference(registry: "docker.io", repository: "library/nginx", tag: "latest"))
        #expect(ImageReference("nginx:1.25")?.tag == "1.25")
        #expect(ImageReference("bitnami/redis:7")?.repository == "bitnami/redis")
        #expect(ImageReference("index.docker.io/library/nginx")?.registry == "docker.io")
        let local = try #require(ImageReference("localhost:5000/team/app:v2@\(digestA)"))
        #expect(local.registry == "localhost:5000")
        #expect(local.repository == "team/app")
        #expect(local.tag == "v2")
        #expect(local.digest == digestA)
        let pinned = try #require(ImageReference("registry.example.com/app@\(digestB)"))
        #expect(pinned.tag == nil)
        #expect(pinned.digest == digestB)
        #expect(ImageReference("Registry.Example.COM/app:1")?.registry == "registry.example.com")
        // A port is not a tag.
        #expect(ImageReference("registry.example.com:5000/app")?.tag == "latest")
        for bad in ["", "nginx latest", "a//b", "app@sha256:abc", "app:", "/app", "app@md5"] { #expect(ImageReference(bad) == nil, "\(bad)") }
    }

    @Test func theDigestANodeRanIsReadFromEveryRuntimesImageID() {
        #expect(ImageReference.digest(ofImageID: "docker.io/library/nginx@\(digestA)") == digestA)
        #expect(ImageReference.digest(ofImageID: "docker-pullable://nginx@\(digestA)") == digestA)
        #expect(ImageReference.digest(ofImageID: digestB) == digestB)
        #expect(ImageReference.digest(ofImageID: "") == nil)
        #expect(ImageReference.digest(ofImageID: nil) == nil)
        #expect(ImageReference.digest(ofImageID: "docker://sha256:short") == nil)
    }

    @Test func patternsMatchWholeValues() {
        #expect(ImagePattern("platform/*").matches("platform/api/v2"))
        #expect(!ImagePattern("platform/*").matches("other/platform/api"))
        #expect(ImagePattern("v1.?").matches("v1.2"))
        #expect(!ImagePattern("v1.?").matches("v1.25"))
        #expect(ImagePattern("*").matches(""))
        #expect(ImagePattern("*-slim").matches("1.25-slim"))
        #expect(!ImagePattern("1.25").matches("1.25-slim"))
        #expect(ImagePattern("a*b*c").matches("aXbYbZc"))
    }

    @Test func labelSelectorsFollowKubernetes() throws {
        let selector = try LabelSelector.parse("team in (pay, shop), env!=dev, !legacy, tier")
        #expect(selector.matches(["team": "pay", "tier": "1"]))
        #expect(!selector.matches(["team": "pay", "tier": "1", "env": "dev"]))
        #expect(!selector.matches(["team": "pay", "tier": "1", "legacy": ""]))
        #expect(!selector.matches(["team": "ops", "tier": "1"]))
        #expect(try LabelSelector.parse("").matches([:]))
        #expect(try LabelSelector.parse("a notin (x)").matches([:]))
        #expect(try LabelSelector.parse("kubernetes.io/metadata.name=shop").matches(["kubernetes.io/metadata.name": "shop"]))
        for bad in ["a in x", "a in ()", "=x", "a=b,,c", "a==b c", "a in (x"] {
            #expect(throws: LabelSelector.SyntaxError.self, "\(bad)") { try LabelSelector.parse(bad) }
        }
    }

    @Test func theFirstMatchingRuleDecides() {
        let policy = ImageTrustPolicy(rules: [
            rule("pinned-bad", .deny, digest: digestB),
            rule("platform", .allow, registry: "registry.example.com", repository: "platform/*"),
            rule("hub-alert", .alert, registry: "docker.io"),
            rule("platform-wide", .deny, repository: "platform/*"),
        ], defaultEffect: .deny)
        func judge(_ image: String, digest: String? = nil, ns: String = "shop") -> (ImageTrustEffect, String?) {
            let verdict = policy.judge(ContainerImage(name: "c", kind: .container, image: image, resolvedDigest: digest), namespace: ns, namespaceLabels: [:])
            return (verdict.effect, verdict.rule)
        }
        #expect(judge("registry.example.com/platform/api:1") == (.allow, "platform"))
        // First match, not most specific: the deny by digest comes first and wins.
        #expect(judge("registry.example.com/platform/api:1", digest: digestB) == (.deny, "pinned-bad"))
        #expect(judge("registry.example.com/platform/api@\(digestB)") == (.deny, "pinned-bad"))
        #expect(judge("nginx") == (.alert, "hub-alert"))
        #expect(judge("quay.io/platform/x:1") == (.deny, "platform-wide"))
        #expect(judge("quay.io/other:1") == (.deny, nil))
        #expect(judge("not an image") == (.deny, nil))
    }

    @Test func aMovedTagIsNoticedByTheDigestTheNodeRan() {
        let policy = ImageTrustPolicy(rules: [rule("nginx-reviewed", .allow, registry: "docker.io", repository: "library/nginx", tag: "1.25", digest: digestA)],
                                      defaultEffect: .deny)
        let before = trustPod("shop", "web", ip: "10.244.1.7", containers: [("web", "nginx:1.25", "docker.io/library/nginx@\(digestA)")])
        #expect(policy.judge(pod: before, namespaceLabels: [:]).effect == .allow)
        let moved = trustPod("shop", "web", ip: "10.244.1.7", containers: [("web", "nginx:1.25", "docker.io/library/nginx@\(digestB)")])
        let verdict = policy.judge(pod: moved, namespaceLabels: [:])
        #expect(verdict.effect == .deny)
        #expect(verdict.deciding.first?.explanation == "image \"nginx:1.25\" (container \"web\", ran as \(digestB)) matches no image trust rule; the default is deny")
        // Not pulled yet: the digest is unknown, so the digest rule cannot vouch for it.
        let pending = trustPod("shop", "web", ip: nil, containers: [("web", "nginx:1.25", nil)])
        #expect(policy.judge(pod: pending, namespaceLabels: [:]).effect == .deny)
    }

    @Test func initAndEphemeralContainersCount() {
        let policy = ImageTrustPolicy(rules: [rule("ours", .allow, registry: "registry.example.com"), rule("debug", .alert, repository: "library/busybox")],
                                      defaultEffect: .deny)
        let clean = trustPod("shop", "web", ip: "10.244.1.7", containers: [("web", "registry.example.com/web:1", nil)])
        #expect(policy.judge(pod: clean, namespaceLabels: [:]).effect == .allow)
        let withInit = trustPod("shop", "web", ip: "10.244.1.7", containers: [("web", "registry.example.com/web:1", nil)],
                                initContainers: [("setup", "quay.io/evil/setup:1", nil)])
        let verdict = policy.judge(pod: withInit, namespaceLabels: [:])
        #expect(verdict.effect == .deny)
        #expect(verdict.deciding.map(\.container.kind) == [.initContainer])
        let debugged = trustPod("shop", "web", ip: "10.244.1.7", containers: [("web", "registry.example.com/web:1", nil)],
                                ephemeral: [("debugger-x", "busybox", nil)])
        #expect(policy.judge(pod: debugged, namespaceLabels: [:]).effect == .alert)
    }

    @Test func rulesApplyByClusterAndNamespace() {
        let policy = ImageTrustPolicy(rules: [
            rule("lab-anything", .allow, clusters: ["lab"]),
            rule("pay-strict", .deny, selector: "team=pay"),
            rule("dev", .allow, namespaces: ["dev"]),
            rule("by-name", .alert, selector: "kubernetes.io/metadata.name=named"),
        ], defaultEffect: .alert)
        let image = ContainerImage(name: "c", kind: .container, image: "nginx")
        #expect(policy.forCluster("lab").judge(image, namespace: "x", namespaceLabels: ["team": "pay"]).rule == "lab-anything")
        let prod = policy.forCluster("prod")
        #expect(prod.judge(image, namespace: "x", namespaceLabels: ["team": "pay"]).rule == "pay-strict")
        #expect(prod.judge(image, namespace: "dev", namespaceLabels: [:]).rule == "dev")
        #expect(prod.judge(image, namespace: "named", namespaceLabels: [:]).rule == "by-name")
        #expect(prod.judge(image, namespace: "other", namespaceLabels: [:]).rule == nil)
    }

    @Test func theVerdictIsATagAndRuleChangesJudgeEveryPodAgain() {
        let log = UpdateLog()
        let state = ClusterState(scheme: TagScheme(cluster: "prod"), onUpdate: log.append)
        state.apply(ReflectorChange<Pod>.upserted(trustPod("shop", "web", ip: "10.244.1.7", containers: [("web", "nginx:1.25", "docker.io/library/nginx@\(digestA)")])))
        state.apply(ReflectorChange<Pod>.upserted(trustPod("shop", "done", ip: "10.244.1.8", containers: [("job", "nginx:1.25", nil)], phase: "Succeeded")))
        #expect(!state.tags(of: "10.244.1.7").contains { $0.hasPrefix("image-trust:") })
        state.setImageTrust(ImageTrustPolicy(rules: [rule("hub", .allow, registry: "docker.io")], defaultEffect: .deny))
        #expect(state.tags(of: "10.244.1.7").contains("image-trust:trusted"))
        #expect(log.last("10.244.1.7")?.reason == "image trust rules changed")
        #expect(state.podVerdicts().keys.sorted() == ["shop/web"])   // a finished pod is not judged
        state.setImageTrust(ImageTrustPolicy(rules: [rule("no-hub", .deny, registry: "docker.io")], defaultEffect: .allow), reason: "reloaded")
        #expect(state.tags(of: "10.244.1.7").contains("image-trust:untrusted"))
        #expect(!state.tags(of: "10.244.1.7").contains("image-trust:trusted"))
        #expect(log.last("10.244.1.7")?.reason == "reloaded")
        let count = log.all.count
        state.setImageTrust(ImageTrustPolicy(rules: [rule("no-hub", .deny, registry: "docker.io")], defaultEffect: .allow))
        #expect(log.all.count == count)   // the same rules: nothing to report
        // The node's digest changes the verdict of a digest rule.
        state.setImageTrust(ImageTrustPolicy(rules: [rule("reviewed", .allow, digest: digestA)], defaultEffect: .alert))
        #expect(state.tags(of: "10.244.1.7").contains("image-trust:trusted"))
        state.apply(ReflectorChange<Pod>.upserted(trustPod("shop", "web", ip: "10.244.1.7", containers: [("web", "nginx:1.25", "docker.io/library/nginx@\(digestB)")])))
        #expect(state.tags(of: "10.244.1.7").contains("image-trust:alert"))
        state.setImageTrust(nil)
        #expect(!state.tags(of: "10.244.1.7").contains { $0.hasPrefix("image-trust:") })
        #expect(state.podVerdicts().isEmpty)
    }
}

import Testing
@testable import RampartKube

@Suite("Kubernetes objects from JSON")
struct KubeJSONTests {
    @Test func podAddressesSkipHostNetworkAndFinishedPods() throws {
        let json = #"{"metadata":{"name":"web-1","namespace":"shop","labels":{"app":"web"}},"spec":{"nodeName":"n1"},"status":{"phase":"Running","podIP":"10.244.1.7","podIPs":[{"ip":"10.244.1.7"},{"ip":"fd00::7"}]}}"#
        let pod = try KubeJSON.decode(Pod.self, from: Array(json.utf8), what: "pod")
        #expect(pod.addresses == ["10.244.1.7", "fd00::7"])
        #expect(pod.metadata.key == "shop/web-1")
        var finished = pod
        finished.status?.phase = "Succeeded"
        #expect(finished.addresses.isEmpty)
    }

    @Test func malformedObjectsSayWhere() {
        #expect(throws: KubeError.malformed(what: "pod", detail: "at metadata.name: expected a string")) {
            try KubeJSON.decode(Pod.self, from: Array(#"{"metadata":{"name":3}}"#.utf8), what: "pod")
        }
        #expect(throws: KubeError.malformed(what: "pod", detail: "at metadata: required field is missing")) {
            try KubeJSON.decode(Pod.self, from: Array(#"{}"#.utf8), what: "pod")
        }
        #expect(throws: KubeError.malformed(what: "pod", detail: "not valid JSON")) {
            try KubeJSON.decode(Pod.self, from: Array("{".utf8), what: "pod")
        }
    }

    @Test func watchEventsOfEveryType() throws {
        let added = #"{"type":"ADDED","object":{"kind":"Pod","apiVersion":"v1","metadata":{"name":"a","namespace":"x","resourceVersion":"5"}}}"#
        guard case .added(let pod) = try WatchEvent<Pod>.decode(line: Array(added.utf8)) else { Issue.record("not ADDED"); return }
        #expect(pod.metadata.resourceVersion == "5")
        let bookmark = #"{"type":"BOOKMARK","object":{"kind":"Pod","apiVersion":"v1","metadata":{"resourceVersion":"12746"}}}"#
        guard case .bookmark(let version) = try WatchEvent<Pod>.decode(line: Array(bookmark.utf8)) else { Issue.record("not BOOKMARK"); return }
        #expect(version == "12746")
        let error = #"{"type":"ERROR","object":{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"too old resource version: 5 (120)","reason":"Expired","code":410}}"#
        guard case .error(let status) = try WatchEvent<Pod>.decode(line: Array(error.utf8)) else { Issue.record("not ERROR"); return }
        #expect(status.code == 410 && status.reason == "Expired")
        #expect(throws: KubeError.self) { try WatchEvent<Pod>.decode(line: Array(#"{"type":"EXPLODED","object":{}}"#.utf8)) }
    }
}

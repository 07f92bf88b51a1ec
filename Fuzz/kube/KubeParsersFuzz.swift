// libFuzzer target for everything the manager reads from outside: watch event lines, list
// bodies, kubeconfigs, credential files and its own configuration. The first byte picks
// the parser. Built by Fuzz/kube/build.sh.
import Foundation

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> Int32 {
    guard size > 0 else { return 0 }
    let bytes = Array(UnsafeBufferPointer(start: data + 1, count: size - 1))
    let text = String(decoding: bytes, as: UTF8.self)
    switch data[0] % 7 {
    case 0: _ = try? WatchEvent<Pod>.decode(line: bytes)
    case 1: _ = try? KubeJSON.decode(ObjectList<Pod>.self, from: bytes, what: "pods")
    case 2: _ = try? KubeJSON.decode(ObjectList<EndpointSlice>.self, from: bytes, what: "slices")
    case 3: _ = try? WatchEvent<Service>.decode(line: bytes)
    case 4: _ = try? ManagerConfiguration.parse(text, file: "fuzz.yaml")
    case 5: _ = try? ClusterCredentials.kubeconfig(text: text, path: "/nonexistent/fuzz.kubeconfig")
    default: _ = try? ClusterCredentials.credentialFile(bytes: bytes, path: "fuzz.json", server: "https://127.0.0.1:6443")
    }
    return 0
}

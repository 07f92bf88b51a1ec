import Foundation
import Testing
@testable import RampartKube

/// Query escaping and credential files, read and written without Foundation's ICU.
@Suite struct KubeTextTests {
    @Test func queryValuesKeepOnlyTheUnreservedCharacters() {
        #expect(KubeClient.escape("app.kubernetes.io/name in (web,api)") == "app.kubernetes.io%2Fname%20in%20%28web%2Capi%29")
        #expect(KubeClient.escape("spec.nodeName=worker-1") == "spec.nodeName%3Dworker-1")
        #expect(KubeClient.escape("a_b~c-d.e") == "a_b~c-d.e")
        #expect(KubeClient.escape("eyJ+/=") == "eyJ%2B%2F%3D")
        // RFC 3986: a non-ASCII letter is percent-encoded too (CharacterSet.alphanumerics let it through raw).
        #expect(KubeClient.escape("café") == "caf%C3%A9")
    }

    @Test func credentialFilesOfBothKinds() throws {
        let token = Data("watcher-token".utf8).base64EncodedString()
        let ca = Data("-----BEGIN CERTIFICATE-----".utf8).base64EncodedString()
        let secret = #"{"kind":"Secret","data":{"token":"\#(token)","ca.crt":"\#(ca)"}}"#
        let fromSecret = try ClusterCredentials.credentialFile(bytes: Array(secret.utf8), path: "s.json", server: "https://10.0.0.1:6443")
        #expect(fromSecret.token == "watcher-token")
        #expect(fromSecret.tls.certificateAuthority == Array("-----BEGIN CERTIFICATE-----".utf8))
        let own = #"{"kind":"ClusterCredential","server":"https://10.0.0.2:6443","token":"t","certificateAuthorityData":"\#(ca)"}"#
        let fromOwn = try ClusterCredentials.credentialFile(bytes: Array(own.utf8), path: "c.json")
        #expect(fromOwn.server == "https://10.0.0.2:6443" && fromOwn.token == "t")

        func message(_ text: String, server: String? = nil) -> String {
            do { _ = try ClusterCredentials.credentialFile(bytes: Array(text.utf8), path: "f.json", server: server); return "" } catch { return "\(error)" }
        }
        #expect(message("[1]").contains("f.json: a credential file is a JSON object"))
        #expect(message("{\"kind\":").contains("a credential file is a JSON object"))
        #expect(message(#"{"kind":"Secret","data":{"token":5}}"#, server: "https://x").contains("the Secret has no data"))
        #expect(message(#"{"kind":"Secret","data":{"token":"%%%"}}"#, server: "https://x").contains("data.token is missing or not base64"))
        #expect(message(#"{"kind":"Secret","data":{"token":"\#(token)"}}"#).contains("does not say where the API server is"))
        #expect(message(#"{"kind":"Other"}"#).contains("kind must be Secret or ClusterCredential"))
        #expect(message(#"{"kind":"ClusterCredential","server":"https://x"}"#).contains("token is missing"))
    }
}

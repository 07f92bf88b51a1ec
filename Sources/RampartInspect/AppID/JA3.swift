/// JA3 (Salesforce): the ClientHello as `version,ciphers,extensions,groups,point formats`
/// in decimal, lists joined by `-`, GREASE values left out; `ja3.hash` is its MD5 in hex.
/// Suricata's `ja3.hash` / `ja3.string` rules read these (ET Open has about a hundred).
///
/// ```swift
/// JA3.string(hello)   // "771,4865-4866-4867-49195,0-23-65281-10-11-35-16-5-13-18-51-45-43-27-21,29-23-24,0"
/// ```
enum JA3 {
    static func string(_ hello: TLSClientHello) -> String {
        func list(_ values: [UInt16]) -> String {
            values.filter { !TLSClientHello.isGREASE($0) }.map(String.init).joined(separator: "-")
        }
        return "\(hello.legacyVersion),\(list(hello.cipherSuites)),\(list(hello.extensions)),"
            + "\(list(hello.supportedGroups)),\(hello.ecPointFormats.map(String.init).joined(separator: "-"))"
    }

    static func hash(_ text: String) -> String { MD5.hex(Array(text.utf8)) }
}


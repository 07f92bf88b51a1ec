// libFuzzer target for every App-ID decoder: the input is split into the client's and the
// server's first bytes, and every probe runs over them as TCP and as UDP, complete and not.
// Built by Fuzz/appid/build.sh into one module with the engine's sources (no imports).

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    guard size >= 2 else { return 0 }
    let control = data[0]
    let bytes = UnsafeRawBufferPointer(start: data + 1, count: size - 1)
    // The second byte chooses where the client's bytes end.
    let split = min(bytes.count, Int(data[1]) * bytes.count / 255)
    let toServer = UnsafeRawBufferPointer(rebasing: bytes[..<split])
    let toClient = UnsafeRawBufferPointer(rebasing: bytes[split...])
    let ports: [UInt16] = [80, 443, 53, 5432, 6379, 11211, 40000]
    let port = ports[Int(control >> 4) % ports.count]
    for ipProtocol in [IPProtocol.tcp, IPProtocol.udp] {
        let prefix = StreamPrefix(
            toServer: toServer, toClient: toClient, clientPort: 50000, serverPort: port, ipProtocol: ipProtocol,
            toServerComplete: control & 1 != 0, toClientComplete: control & 2 != 0)
        for kind in ApplicationProbeKind.allCases {
            var metadata = ApplicationMetadata()
            _ = kind.probe(prefix, into: &metadata)
        }
    }
    var hpack = HPACKDecoder()
    _ = hpack.decode(bytes)
    return 0
}

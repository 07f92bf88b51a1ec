// libFuzzer target for what the firewall reads from outside besides packets (those have
// Fuzz/PacketDecoderFuzz): admin API requests as they arrive (the server itself, with its
// sockets and tokens, is Fuzz/http's), tag update bodies,
// and configuration files. The first byte picks the parser. Built by Fuzz/firewall/build.sh.
#if canImport(Glibc)
import Glibc
#endif

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> Int32 {
    guard size > 0 else { return 0 }
    let bytes = Array(UnsafeBufferPointer(start: data + 1, count: size - 1))
    let text = String(decoding: bytes, as: UTF8.self)
    switch data[0] % 4 {
    case 0:
        _ = try? TagBatch(json: text)
    case 1:
        _ = try? TagUpdate(json: text)
    case 2:
        // The bytes as a client sends them: the shared HTTP server's head parser (RampartHTTP,
        // as its poll loop calls it), then the admin API's answer for a request that parses,
        // on a fresh board (a reload gets no worker's answer and returns at once).
        guard let end = headEnd(bytes, from: 0) else { return 0 }
        guard case .success(let head) = HTTPRequestHead.parse(bytes[..<end], maximumBody: AdminServer.maximumBody) else { return 0 }
        let body = bytes[(end + 4)...].prefix(head.contentLength)
        let board = MetricsBoard(workers: 1, reloadWaitSeconds: 0)
        _ = AdminServer.respond(board: board, method: head.method == "HEAD" ? "GET" : head.method, path: head.path,
                                query: head.query, body: String(decoding: body, as: UTF8.self))
    default:
        _ = try? ConfigurationFile.parse(text, file: "fuzz.yaml")
    }
    return 0
}

// libFuzzer target for what the firewall reads from outside besides packets (those have
// Fuzz/PacketDecoderFuzz): admin API requests as they arrive on a socket, tag update bodies,
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
        // The bytes as a client would send them, through a pipe the reader reads as a socket.
        guard bytes.count < 60_000 else { return 0 }
        var fds: [Int32] = [-1, -1]
        guard pipe(&fds) == 0 else { return 0 }
        _ = bytes.withUnsafeBytes { write(fds[1], $0.baseAddress, $0.count) }
        close(fds[1])
        _ = AdminRequest.read(from: fds[0])
        close(fds[0])
    default:
        _ = try? ConfigurationFile.parse(text, file: "fuzz.yaml")
    }
    return 0
}

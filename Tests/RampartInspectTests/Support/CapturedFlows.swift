import Foundation
import RampartInspect
import RampartWire

/// The sessions of a real capture with the first bytes of each direction, reassembled
/// by the engine's own `StreamReassembler`: what App-ID decoders see, for their tests.
///
/// ```swift
/// let flows = try CapturedFlows.load("Tests/Captures/appid/redis.pcap")
/// for flow in flows where flow.serverPort == 6379 {
///     flow.withPrefix { prefix in #expect(Redis.probe(prefix, into: &metadata) == .identified(redis)) }
/// }
/// ```
struct CapturedFlow {
    var clientAddress: IPAddress
    var serverAddress: IPAddress
    var clientPort: UInt16
    var serverPort: UInt16
    var ipProtocol: IPProtocol
    /// TCP: the stream's first bytes; UDP: the datagrams' payloads, one element each.
    var toServer: [UInt8] = []
    var toClient: [UInt8] = []
    var datagramsToServer: [[UInt8]] = []
    var datagramsToClient: [[UInt8]] = []

    /// Calls `body` with a `StreamPrefix` over this flow's bytes (TCP), or over its first
    /// datagram each way (UDP).
    func withPrefix<R>(complete: Bool = true, _ body: (StreamPrefix) throws -> R) rethrows -> R {
        let a = ipProtocol == .udp ? (datagramsToServer.first ?? []) : toServer
        let b = ipProtocol == .udp ? (datagramsToClient.first ?? []) : toClient
        return try a.withUnsafeBytes { s in
            try b.withUnsafeBytes { c in
                try body(StreamPrefix(
                    toServer: s, toClient: c, clientPort: clientPort, serverPort: serverPort,
                    ipProtocol: ipProtocol, toServerComplete: complete, toClientComplete: complete))
            }
        }
    }
}

enum CapturedFlows {
    static let packageRoot: URL = URL(fileURLWithPath: #filePath).resolvingSymlinksInPath()
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    /// Reads a capture (path relative to the package root) and returns its TCP and UDP
    /// flows in the order they began, keeping up to `depth` bytes per direction.
    static func load(_ relativePath: String, depth: Int = 16384) throws -> [CapturedFlow] {
        let bytes = try [UInt8](Data(contentsOf: packageRoot.appendingPathComponent(relativePath)))
        var reader = try CaptureReader(bytes: bytes)
        var record = CaptureRecord()
        var order: [FlowKey] = []
        var flows: [FlowKey: CapturedFlow] = [:]
        var clientDirection: [FlowKey: FlowDirection] = [:]
        var handles: [FlowKey: StreamHandle] = [:]
        var configuration = StreamReassemblyConfiguration()
        configuration.depth = depth
        var reassembler = StreamReassembler(configuration: configuration)
        try bytes.withUnsafeBytes { file in
            while try reader.next(into: &record) {
                let frame = UnsafeRawBufferPointer(rebasing: file[record.frameRange])
                var packet = DecodedPacket()
                guard PacketDecoder.decode(frame, linkType: record.linkType, into: &packet) == nil,
                      packet.ipVersion != 0, !packet.isFragment,
                      packet.ipProtocol == .tcp || packet.ipProtocol == .udp else { continue }
                let (key, direction) = FlowKey.of(packet)
                if flows[key] == nil {
                    // The client is the side of the first packet, or the receiver of a SYN+ACK.
                    let synAck = packet.tcpFlags.contains(.syn) && packet.tcpFlags.contains(.ack)
                    let isClient = !synAck
                    clientDirection[key] = isClient ? direction : direction.reversed
                    flows[key] = CapturedFlow(
                        clientAddress: isClient ? packet.source : packet.destination,
                        serverAddress: isClient ? packet.destination : packet.source,
                        clientPort: isClient ? packet.sourcePort : packet.destinationPort,
                        serverPort: isClient ? packet.destinationPort : packet.sourcePort,
                        ipProtocol: packet.ipProtocol)
                    order.append(key)
                }
                let toServer = clientDirection[key] == direction
                let payload = Array(UnsafeRawBufferPointer(
                    rebasing: frame[packet.payloadOffset..<(packet.payloadOffset + packet.payloadLength)]))
                if packet.ipProtocol == .udp {
                    if toServer { flows[key]!.datagramsToServer.append(payload) } else { flows[key]!.datagramsToClient.append(payload) }
                    continue
                }
                if handles[key] == nil, let handle = reassembler.open() { handles[key] = handle }
                guard let handle = handles[key] else { continue }
                var collector = Collector()
                _ = reassembler.process(
                    handle, direction: toServer ? .toServer : .toClient, packet: packet, frame: frame, into: &collector)
                flows[key]!.toServer += collector.toServer
                flows[key]!.toClient += collector.toClient
            }
        }
        return order.map { flows[$0]! }
    }

    struct Collector: StreamConsumer {
        var toServer: [UInt8] = []
        var toClient: [UInt8] = []
        mutating func deliver(_ bytes: UnsafeRawBufferPointer, direction: StreamDirection) {
            if direction == .toServer { toServer += bytes } else { toClient += bytes }
        }
    }
}

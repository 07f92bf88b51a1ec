import Testing
import RampartWire
@testable import RampartInspect

private let client = IPAddress("10.0.0.2")!
private let server = IPAddress("10.0.0.1")!

private func at(_ seconds: Int64) -> Timestamp { Timestamp(seconds: 1_700_000_000 + seconds, nanoseconds: 0) }

/// A TCP conversation driven packet by packet through `Session.observe`.
private struct Conversation {
    var session: Session
    var timeouts = SessionTimeouts()
    var events: [DecodeEvent] = []
    var now: Int64 = 0

    init() {
        session = Session(key: FlowKey.make(source: client, sourcePort: 40000, destination: server,
                                            destinationPort: 80, ipProtocol: .tcp).key, now: at(0))
    }

    mutating func send(fromClient: Bool, _ flags: TCPFlags, seq: UInt32, ack: UInt32 = 0, payload: Int = 0) {
        var p = DecodedPacket()
        p.ipVersion = 4
        p.ipProtocol = .tcp
        p.source = fromClient ? client : server
        p.destination = fromClient ? server : client
        p.sourcePort = fromClient ? 40000 : 80
        p.destinationPort = fromClient ? 80 : 40000
        p.tcpFlags = flags
        p.tcpSequence = seq
        p.tcpAcknowledgment = ack
        p.tcpWindow = 1000
        p.payloadLength = payload
        p.networkLength = 40 + payload
        let (_, direction) = FlowKey.of(p)
        now += 1
        if let event = session.observe(p, direction: direction, now: at(now), timeouts: timeouts) {
            events.append(event)
        }
    }
}

@Suite("TCP state machine")
struct SessionTCPTests {
    @Test func handshakeDataAndTeardown() {
        var c = Conversation()
        c.send(fromClient: true, .syn, seq: 100)
        #expect(c.session.tcpState == .synSent)
        #expect(c.session.client.address == client)
        #expect(c.session.expiresAt == at(1 + 30))
        c.send(fromClient: false, [.syn, .ack], seq: 5000, ack: 101)
        #expect(c.session.tcpState == .synReceived)
        c.send(fromClient: true, .ack, seq: 101, ack: 5001)
        #expect(c.session.tcpState == .established)
        #expect(c.session.expiresAt == at(3 + 3600))
        c.send(fromClient: true, [.ack, .psh], seq: 101, ack: 5001, payload: 10)
        c.send(fromClient: false, [.ack, .psh], seq: 5001, ack: 111, payload: 20)
        #expect(c.session.toServer.nextSequence == 111)
        #expect(c.session.toClient.nextSequence == 5021)
        c.send(fromClient: true, [.fin, .ack], seq: 111, ack: 5021)
        #expect(c.session.tcpState == .finWait)
        #expect(c.session.expiresAt == at(6 + 120))
        c.send(fromClient: false, [.fin, .ack], seq: 5021, ack: 112)
        #expect(c.session.tcpState == .closing)
        c.send(fromClient: true, .ack, seq: 112, ack: 5022)
        #expect(c.session.tcpState == .timeWait)
        #expect(c.session.closeReason == .fin)
        #expect(c.session.expiresAt == at(8 + 10))
        #expect(c.events.isEmpty)
        #expect(!c.session.flags.contains(.midstream))
        #expect(c.session.toServer.tcpFlagsSeen == [.syn, .ack, .psh, .fin])
        #expect(c.session.toServer.packets == 5)
        #expect(c.session.toClient.packets == 3)
        #expect(c.session.toServer.bytes == 40 * 5 + 10)
        // A late duplicate ACK in time-wait is normal; data is not.
        c.send(fromClient: true, .ack, seq: 112, ack: 5022)
        #expect(c.events.isEmpty)
        c.send(fromClient: false, [.ack, .psh], seq: 5022, ack: 112, payload: 5)
        #expect(c.events == [.streamPacketAfterClose])
    }

    @Test func resetCloses() {
        var c = Conversation()
        c.send(fromClient: true, .syn, seq: 1)
        c.send(fromClient: false, [.rst, .ack], seq: 0, ack: 2)
        #expect(c.session.tcpState == .closed)
        #expect(c.session.closeReason == .rst)
        #expect(c.session.toClient.tcp.contains(.rstSeen))
        #expect(c.session.expiresAt == at(2 + 10))
        c.send(fromClient: true, .ack, seq: 2, ack: 1)
        #expect(c.events == [.streamPacketAfterClose])
        #expect(c.session.flags.contains(.packetAfterClose))
    }

    @Test func resetInEstablished() {
        var c = Conversation()
        c.send(fromClient: true, .syn, seq: 1)
        c.send(fromClient: false, [.syn, .ack], seq: 9, ack: 2)
        c.send(fromClient: true, .ack, seq: 2, ack: 10)
        c.send(fromClient: true, .rst, seq: 2)
        #expect(c.session.tcpState == .closed)
        #expect(c.session.closeReason == .rst)
        #expect(c.events.isEmpty)
    }

    @Test func midstreamPickup() {
        var c = Conversation()
        c.send(fromClient: true, [.ack, .psh], seq: 7000, ack: 900, payload: 100)
        #expect(c.session.tcpState == .established)
        #expect(c.session.flags.contains(.midstream))
        #expect(c.session.toServer.nextSequence == 7100)
        #expect(c.session.toClient.nextSequence == 900)
        #expect(c.events.isEmpty)
    }

    @Test func midstreamPickupFromTheServerSideStillFindsTheClient() {
        // A download picked up mid-stream (a firewall restarted): the first packet comes
        // from the server's port 80; the client is the ephemeral port.
        var c = Conversation()
        c.send(fromClient: false, [.ack, .psh], seq: 9000, ack: 700, payload: 1400)
        #expect(c.session.flags.contains(.midstream))
        #expect(c.session.client.address == client)
        #expect(c.session.server.port == 80)
        #expect(c.session.toClient.packets == 1)
    }

    @Test func synAckFirstMakesTheReceiverTheClient() {
        var c = Conversation()
        c.send(fromClient: false, [.syn, .ack], seq: 5000, ack: 101)
        #expect(c.session.client.address == client)
        #expect(c.session.tcpState == .synReceived)
        #expect(c.session.flags.contains(.midstream))
        c.send(fromClient: true, .ack, seq: 101, ack: 5001)
        #expect(c.session.tcpState == .established)
    }

    @Test func synWithPayloadIsAnInvalidHandshake() {
        var c = Conversation()
        c.send(fromClient: true, .syn, seq: 1, payload: 10)
        #expect(c.events == [.streamInvalidHandshake])
        #expect(c.session.flags.contains(.invalidHandshake))
        #expect(c.session.toServer.nextSequence == 12)
    }

    @Test func synAckWithWrongAckIsAnInvalidHandshake() {
        var c = Conversation()
        c.send(fromClient: true, .syn, seq: 1)
        c.send(fromClient: false, [.syn, .ack], seq: 50, ack: 999)
        #expect(c.events == [.streamInvalidHandshake])
        #expect(c.session.tcpState == .synSent)
    }

    @Test func dataBeforeHandshakeCompletesIsInvalid() {
        var c = Conversation()
        c.send(fromClient: true, .syn, seq: 1)
        c.send(fromClient: true, [.ack, .psh], seq: 2, ack: 1, payload: 3)
        #expect(c.events == [.streamInvalidHandshake])
    }

    @Test func retransmittedSynIsFine() {
        var c = Conversation()
        c.send(fromClient: true, .syn, seq: 1)
        c.send(fromClient: true, .syn, seq: 1)
        c.send(fromClient: false, [.syn, .ack], seq: 50, ack: 2)
        c.send(fromClient: false, [.syn, .ack], seq: 50, ack: 2)
        c.send(fromClient: true, .ack, seq: 2, ack: 51)
        c.send(fromClient: false, [.syn, .ack], seq: 50, ack: 2)
        #expect(c.events.isEmpty)
        #expect(c.session.tcpState == .established)
    }

    @Test func sequenceNumbersWrapAround() {
        var c = Conversation()
        let isn: UInt32 = 0xFFFF_FFF0
        c.send(fromClient: true, .syn, seq: isn)
        c.send(fromClient: false, [.syn, .ack], seq: 0xFFFF_FFFF, ack: isn &+ 1)
        #expect(c.session.toClient.nextSequence == 0)
        c.send(fromClient: true, .ack, seq: isn &+ 1, ack: 0)
        #expect(c.session.tcpState == .established)
        c.send(fromClient: true, [.ack, .psh], seq: isn &+ 1, ack: 0, payload: 100)
        #expect(c.session.toServer.nextSequence == isn &+ 101)
        #expect(c.session.toServer.nextSequence == 0x55)
        // An old retransmission before the wrap does not move it back.
        c.send(fromClient: true, [.ack, .psh], seq: isn &+ 1, ack: 0, payload: 10)
        #expect(c.session.toServer.nextSequence == 0x55)
        c.send(fromClient: true, [.fin, .ack], seq: 0x55, ack: 0)
        c.send(fromClient: false, [.fin, .ack], seq: 0, ack: 0x56)
        c.send(fromClient: true, .ack, seq: 0x56, ack: 1)
        #expect(c.session.tcpState == .timeWait)
        #expect(c.events.isEmpty)
        #expect(SequenceNumber.isAfter(5, 0xFFFF_FFF0))
        #expect(!SequenceNumber.isAfter(0xFFFF_FFF0, 5))
    }

    @Test func finAcknowledgedOnlyWhenAckCoversIt() {
        var c = Conversation()
        c.send(fromClient: true, [.ack], seq: 10, ack: 20)
        c.send(fromClient: true, [.fin, .ack], seq: 10, ack: 20)
        c.send(fromClient: false, [.fin, .ack], seq: 20, ack: 10)
        #expect(c.session.tcpState == .closing)
        #expect(!c.session.toServer.tcp.contains(.finAcknowledged))
        c.send(fromClient: false, [.ack], seq: 21, ack: 11)
        #expect(c.session.toServer.tcp.contains(.finAcknowledged))
        #expect(c.session.tcpState == .closing)
        c.send(fromClient: true, [.ack], seq: 11, ack: 21)
        #expect(c.session.tcpState == .timeWait)
    }

    @Test func synAfterCloseIsAReopen() {
        var c = Conversation()
        c.send(fromClient: true, .syn, seq: 1)
        c.send(fromClient: false, [.rst, .ack], seq: 0, ack: 2)
        var syn = DecodedPacket()
        syn.ipProtocol = .tcp
        syn.tcpFlags = .syn
        #expect(c.session.isReopened(by: syn))
        syn.tcpFlags = [.syn, .ack]
        #expect(!c.session.isReopened(by: syn))
        var open = Conversation()
        open.send(fromClient: true, .syn, seq: 1)
        syn.tcpFlags = .syn
        #expect(!open.session.isReopened(by: syn))
    }

    @Test func randomSegmentsNeverTrapAndAlwaysExpireLater() {
        var state: UInt64 = 0x7CB
        func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
        for _ in 0..<300 {
            var c = Conversation()
            for _ in 0..<20 {
                let flags = TCPFlags(rawValue: UInt8(truncatingIfNeeded: next()))
                c.send(fromClient: next() % 2 == 0, flags, seq: UInt32(truncatingIfNeeded: next()),
                       ack: UInt32(truncatingIfNeeded: next()), payload: Int(next() % 3))
                #expect(c.session.expiresAt > at(c.now))
            }
        }
    }

    @Test func trackerIsPure() {
        // The same inputs give the same session, whatever happened elsewhere.
        var a = Conversation()
        var b = Conversation()
        for c in [0, 1] {
            var conversation = c == 0 ? a : b
            conversation.send(fromClient: true, .syn, seq: 1)
            conversation.send(fromClient: false, [.syn, .ack], seq: 9, ack: 2)
            if c == 0 { a = conversation } else { b = conversation }
        }
        #expect(a.session.tcpState == b.session.tcpState)
        #expect(a.session.expiresAt == b.session.expiresAt)
        #expect(a.session.toClient.nextSequence == b.session.toClient.nextSequence)
    }
}

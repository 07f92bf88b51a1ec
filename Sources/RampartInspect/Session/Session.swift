import RampartWire

/// Which way a packet travels relative to the session's client (the side that sent the
/// first packet, or the SYN). Indexes per-direction state everywhere in the engine.
///
/// ```swift
/// let stream = session.streamDirection(of: direction)
/// session[stream].bytes
/// ```
public enum StreamDirection: UInt8, Sendable {
    case toServer = 0
    case toClient = 1

    @inlinable
    public var reversed: StreamDirection { self == .toServer ? .toClient : .toServer }
}

/// The TCP connection state, after conntrack and Suricata.
///
/// ```swift
/// session.tcpState == .established
/// ```
public enum TCPState: UInt8, Sendable {
    /// No TCP packet seen yet (or not TCP).
    case none
    /// The client's SYN was seen.
    case synSent
    /// The server's SYN+ACK was seen.
    case synReceived
    /// The handshake completed, or a midstream pickup.
    case established
    /// One side sent a FIN.
    case finWait
    /// Both sides sent a FIN; not both acknowledged yet.
    case closing
    /// Both FINs were acknowledged.
    case timeWait
    /// A RST was seen.
    case closed
}

/// Why a session ended, as the flow log reports it.
///
/// ```swift
/// if session.closeReason == .rst { ... }
/// ```
public enum SessionCloseReason: UInt8, Sendable {
    /// Still open.
    case none
    case timeout
    case fin
    case rst
    /// Pushed out of a full table.
    case evicted
    /// The engine stopped.
    case shutdown
    /// A policy reload removed the rule that decided it.
    case policyChange
}

/// Facts about one session as single bits.
///
/// ```swift
/// session.flags.contains(.midstream)
/// ```
public struct SessionFlags: OptionSet, Sendable {
    public var rawValue: UInt8
    @inlinable public init(rawValue: UInt8) { self.rawValue = rawValue }
    /// TCP tracking started without seeing the client's SYN.
    public static let midstream = SessionFlags(rawValue: 0x01)
    /// Packets were seen in both directions.
    public static let bothSidesSeen = SessionFlags(rawValue: 0x02)
    /// A packet arrived after the session closed.
    public static let packetAfterClose = SessionFlags(rawValue: 0x04)
    /// The handshake was odd (SYN with payload, wrong ACK, ...).
    public static let invalidHandshake = SessionFlags(rawValue: 0x08)
    /// App-ID had no state for it (its table, or the client's share, was full): its
    /// application is unknown and the policy's rule for that decides.
    public static let appIDRefused = SessionFlags(rawValue: 0x10)
    /// App-ID had no stream buffer for it (the pool, or the client's or node's share, was
    /// empty): it was identified packet by packet.
    public static let appIDUnbuffered = SessionFlags(rawValue: 0x20)
    /// A signature matched in it (EVE `flow.alerted`).
    public static let alerted = SessionFlags(rawValue: 0x40)
    /// The signature matcher had no state for it: inspected packet by packet.
    public static let detectionRefused = SessionFlags(rawValue: 0x80)
}

/// What the content profiles settled about a session.
///
/// ```swift
/// session.profileFlags.contains(.urlBlocked)
/// ```
public struct SessionDecisionFlags: OptionSet, Sendable {
    public var rawValue: UInt8
    @inlinable public init(rawValue: UInt8) { self.rawValue = rawValue }
    /// The decision can no longer change (App-ID is final).
    public static let final = SessionDecisionFlags(rawValue: 0x01)
    /// The session's start was logged.
    public static let logged = SessionDecisionFlags(rawValue: 0x02)
}

public struct SessionProfileFlags: OptionSet, Sendable {
    public var rawValue: UInt8
    @inlinable public init(rawValue: UInt8) { self.rawValue = rawValue }
    /// The URL filtering stage has nothing more to do for this session (decided, or no
    /// URL filtering profile applies).
    public static let urlDecided = SessionProfileFlags(rawValue: 0x01)
    /// The URL filtering profile blocked it: every later packet is dropped.
    public static let urlBlocked = SessionProfileFlags(rawValue: 0x02)
    /// The AI security profile blocked it: every later packet is dropped.
    public static let aiBlocked = SessionProfileFlags(rawValue: 0x04)
}

/// Per-side TCP facts.
///
/// ```swift
/// session[.toServer].tcp.contains(.finSeen)
/// ```
public struct TCPSideFlags: OptionSet, Sendable {
    public var rawValue: UInt8
    @inlinable public init(rawValue: UInt8) { self.rawValue = rawValue }
    /// `nextSequence` holds a real value.
    public static let sequenceKnown = TCPSideFlags(rawValue: 0x01)
    public static let synSeen = TCPSideFlags(rawValue: 0x02)
    public static let finSeen = TCPSideFlags(rawValue: 0x04)
    /// The other side acknowledged this side's FIN.
    public static let finAcknowledged = TCPSideFlags(rawValue: 0x08)
    public static let rstSeen = TCPSideFlags(rawValue: 0x10)
}

/// What one side of a session (the sender of one `StreamDirection`) did.
///
/// ```swift
/// let side = session[.toServer]
/// print(side.packets, side.bytes, side.tcpFlagsSeen.hex)
/// ```
public struct SessionSide: Sendable {
    public var packets: UInt64 = 0
    /// IP bytes (header and payload) sent by this side.
    public var bytes: UInt64 = 0
    /// Initial sequence number (the SYN's), when seen.
    public var initialSequence: UInt32 = 0
    /// The sequence number after the highest byte (SYN and FIN count one) this side sent.
    public var nextSequence: UInt32 = 0
    /// The last acknowledgment number this side sent.
    public var lastAcknowledgment: UInt32 = 0
    /// The sequence number of this side's FIN.
    public var finSequence: UInt32 = 0
    /// The last window this side advertised (unscaled).
    public var window: UInt16 = 0
    /// Every TCP flag this side sent, OR-ed.
    public var tcpFlagsSeen = TCPFlags(rawValue: 0)
    public var tcp = TCPSideFlags(rawValue: 0)

    @inlinable public init() {}
}

/// A handle to a session's stream reassembly state in a `StreamReassembler`.
///
/// ```swift
/// if session.stream == .none, let handle = reassembler.open() { session.stream = handle }
/// ```
@frozen
public struct StreamHandle: Hashable, Sendable {
    public var rawValue: Int32
    @inlinable public init(rawValue: Int32) { self.rawValue = rawValue }
    /// No reassembly state.
    public static let none = StreamHandle(rawValue: -1)
}

/// The record of one flow, stored inline in the `SessionTable`. At most 256 bytes;
/// reassembly buffers live in the `StreamReassembler`, referenced by `stream`.
///
/// ```swift
/// let (key, direction) = FlowKey.of(packet)
/// let slot = table.lookup(key) ?? table.insert(key, now: now).slot
/// let event = table[slot].observe(packet, direction: direction, now: now, timeouts: timeouts)
/// ```
public struct Session: Sendable {
    // Declaration order is layout order: the one-byte fields fill the end of the key's
    // last word and `ruleIndex` the gap between the two sides, which keeps a session at
    // 192 bytes (with the table's hash word and load factor, under 256 per tracked session).
    public var key: FlowKey
    /// Which key direction the client sends in.
    public var clientDirection: FlowDirection
    public var tcpState: TCPState
    public var flags: SessionFlags
    /// What the content profiles settled (URL filtering).
    public var profileFlags: SessionProfileFlags
    public var closeReason: SessionCloseReason
    public var firstSeen: Timestamp
    public var lastSeen: Timestamp
    /// Seconds after `lastSeen` at which the session times out (`expiresAt`): the state's
    /// timeout, set with each packet.
    public var idleTimeout: UInt32
    /// The rule that let the session proceed while its application was unknown, when a
    /// different rule decided it once App-ID named it (-1 otherwise). Logged as PAN-OS does.
    public var provisionalRuleIndex: Int32
    /// The side that sent toward the server (the client's packets).
    public var toServer: SessionSide
    /// The index of the policy rule that matched; -1 before any decision.
    public var ruleIndex: Int32
    /// The side that sent toward the client (the server's packets).
    public var toClient: SessionSide
    /// The application App-ID assigned; 0 while unknown.
    public var applicationID: UInt16
    /// The policy action, as the engine encodes it.
    public var action: UInt8
    /// `decisionIsFinal` and `logged`, in one byte.
    public var decision: SessionDecisionFlags
    /// Stream reassembly state, or `.none`.
    public var stream: StreamHandle
    /// App-ID's state for this session (its buffers and what it learned), or -1.
    public var applicationState: Int32
    /// The signature matcher's state for this session (`Detector`), or -1.
    public var detectionState: Int32
    /// Each end's tag set when the verdict was made: a handle the engine's policy holds
    /// until the session ends (0: untagged), so the record names who was decided on.
    public var clientTagSet: UInt32
    public var serverTagSet: UInt32
    /// Each end's zone when the verdict was made; `Session.zoneNotTaken` before it.
    public var clientZone: UInt16
    public var serverZone: UInt16

    /// Whether the decision can no longer change (App-ID is final).
    @inlinable public var decisionIsFinal: Bool {
        get { decision.contains(.final) }
        set { if newValue { decision.insert(.final) } else { decision.remove(.final) } }
    }

    /// Whether the session's start was already logged.
    @inlinable public var logged: Bool {
        get { decision.contains(.logged) }
        set { if newValue { decision.insert(.logged) } else { decision.remove(.logged) } }
    }

    /// When the session times out unless another packet arrives.
    @inlinable public var expiresAt: Timestamp {
        get { lastSeen.advanced(bySeconds: Int64(idleTimeout)) }
        set {
            let seconds = (newValue.nanosecondsSinceEpoch &- lastSeen.nanosecondsSinceEpoch + 999_999_999) / 1_000_000_000
            idleTimeout = UInt32(clamping: max(0, seconds))
        }
    }

    /// `clientZone`/`serverZone` before the first decision.
    public static let zoneNotTaken: UInt16 = .max

    /// A fresh session seen first at `now`; the first `observe` call fills the rest.
    ///
    /// ```swift
    /// var session = Session(key: key, now: packetTime)
    /// ```
    @inlinable
    public init(key: FlowKey, now: Timestamp) {
        self.key = key
        firstSeen = now
        lastSeen = now
        idleTimeout = 0
        toServer = SessionSide()
        toClient = SessionSide()
        clientDirection = .fromLower
        tcpState = .none
        flags = SessionFlags(rawValue: 0)
        profileFlags = SessionProfileFlags(rawValue: 0)
        closeReason = .none
        applicationID = 0
        ruleIndex = -1
        provisionalRuleIndex = -1
        applicationState = -1
        detectionState = -1
        action = 0
        decision = []
        stream = .none
        clientTagSet = 0
        serverTagSet = 0
        clientZone = Session.zoneNotTaken
        serverZone = Session.zoneNotTaken
    }

    /// The state of the side sending in `direction`.
    @inlinable
    public subscript(_ direction: StreamDirection) -> SessionSide {
        get { direction == .toServer ? toServer : toClient }
        _modify {
            if direction == .toServer { yield &toServer } else { yield &toClient }
        }
    }

    /// Maps a key direction to the client/server direction.
    ///
    /// ```swift
    /// session.streamDirection(of: .fromLower)   // .toServer when the lower endpoint is the client
    /// ```
    @inlinable
    public func streamDirection(of direction: FlowDirection) -> StreamDirection {
        direction == clientDirection ? .toServer : .toClient
    }

    /// The client's address and port.
    @inlinable
    public var client: (address: IPAddress, port: UInt16) {
        clientDirection == .fromLower ? (key.lowerAddress, key.lowerPort) : (key.upperAddress, key.upperPort)
    }

    /// The server's address and port.
    @inlinable
    public var server: (address: IPAddress, port: UInt16) {
        clientDirection == .fromLower ? (key.upperAddress, key.upperPort) : (key.lowerAddress, key.lowerPort)
    }

    /// Whether the session has timed out at `now`.
    @inlinable
    public func isExpired(at now: Timestamp) -> Bool { expiresAt <= now }
}

import RampartPOSIX

/// The console's login sessions, in memory (a restart signs everyone out). A session id is
/// 32 random bytes (hex) sent only in the `rampart_session` cookie. Each session has its own CSRF token,
/// an idle timeout and an absolute lifetime. Bounded: at `limit` sessions the oldest is
/// dropped (counted, so /metrics shows it).
///
/// ```swift
/// let table = SessionTable(idle: 1800, lifetime: 28800, limit: 10_000)
/// let session = table.open(user: "alice", role: .admin, now: now)
/// table.find(session.id, now: now + 60)?.user   // "alice"
/// ```
public final class SessionTable: @unchecked Sendable {
    public struct Session: Sendable, Equatable {
        public var id: String
        public var user: String
        public var role: ConsoleRole
        public var csrf: String
        public var created: Double
        public var lastSeen: Double
    }

    public let idle: Double
    public let lifetime: Double
    public let limit: Int
    private let lock = Lock()
    private var sessions: [String: Session] = [:]
    public private(set) var evicted = 0

    public init(idle: Double, lifetime: Double, limit: Int = 10_000) {
        self.idle = idle
        self.lifetime = lifetime
        self.limit = limit
    }

    public var count: Int { lock.withLock { sessions.count } }

    public func open(user: String, role: ConsoleRole, now: Double) -> Session {
        let session = Session(id: PasswordHash.hex(PasswordHash.randomBytes(32)), user: user, role: role,
                              csrf: PasswordHash.hex(PasswordHash.randomBytes(32)), created: now, lastSeen: now)
        lock.withLock {
            expire(now: now)
            if sessions.count >= limit, let oldest = sessions.values.min(by: { $0.lastSeen < $1.lastSeen }) {
                sessions[oldest.id] = nil
                evicted += 1
            }
            sessions[session.id] = session
        }
        return session
    }

    /// The live session with this id, its idle clock restarted; nil when unknown or expired.
    public func find(_ id: String, now: Double) -> Session? {
        lock.withLock {
            guard var session = sessions[id] else { return nil }
            guard now - session.lastSeen < idle, now - session.created < lifetime else {
                sessions[id] = nil
                return nil
            }
            session.lastSeen = now
            sessions[id] = session
            return session
        }
    }

    public func close(_ id: String) { lock.withLock { sessions[id] = nil } }

    private func expire(now: Double) {
        sessions = sessions.filter { now - $0.value.lastSeen < idle && now - $0.value.created < lifetime }
    }
}

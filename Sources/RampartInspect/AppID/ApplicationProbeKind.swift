import RampartPolicy
import RampartWire

/// Every App-ID decoder, dispatched by a switch (no existentials on the probing path).
/// The order of `defaultOrder` is the order in which decoders are asked when the port
/// suggests nothing: cheap and distinctive checks first.
public enum ApplicationProbeKind: UInt8, CaseIterable, Sendable {
    case tls, http1, http2, ssh, dns, postgresql, mysql, redis, mongodb, kafka, mqtt, amqp
    case smtp, imap, pop3, ldap, ntp, memcached

    func probe(_ prefix: StreamPrefix, into metadata: inout ApplicationMetadata) -> ProbeResult {
        switch self {
        case .tls: return TLS.probe(prefix, into: &metadata)
        case .http1: return HTTP1.probe(prefix, into: &metadata)
        case .http2: return HTTP2.probe(prefix, into: &metadata)
        case .ssh: return SSH.probe(prefix, into: &metadata)
        case .dns: return DNS.probe(prefix, into: &metadata)
        case .postgresql: return PostgreSQL.probe(prefix, into: &metadata)
        case .mysql: return MySQL.probe(prefix, into: &metadata)
        case .redis: return Redis.probe(prefix, into: &metadata)
        case .mongodb: return MongoDB.probe(prefix, into: &metadata)
        case .kafka: return Kafka.probe(prefix, into: &metadata)
        case .mqtt: return MQTT.probe(prefix, into: &metadata)
        case .amqp: return AMQP.probe(prefix, into: &metadata)
        case .smtp: return SMTP.probe(prefix, into: &metadata)
        case .imap: return IMAP.probe(prefix, into: &metadata)
        case .pop3: return POP3.probe(prefix, into: &metadata)
        case .ldap: return LDAP.probe(prefix, into: &metadata)
        case .ntp: return NTP.probe(prefix, into: &metadata)
        case .memcached: return Memcached.probe(prefix, into: &metadata)
        }
    }

    var runsOverTCP: Bool {
        switch self {
        case .ntp: return false
        default: return true
        }
    }

    var runsOverUDP: Bool {
        switch self {
        case .dns, .ntp, .memcached, .ldap: return true
        default: return false
        }
    }

    /// The application whose default ports suggest this decoder first.
    var application: String {
        switch self {
        case .tls: return "ssl"
        case .http1: return "http"
        case .http2: return "http2"
        case .ssh: return "ssh"
        case .dns: return "dns"
        case .postgresql: return "postgresql"
        case .mysql: return "mysql"
        case .redis: return "redis"
        case .mongodb: return "mongodb"
        case .kafka: return "kafka"
        case .mqtt: return "mqtt"
        case .amqp: return "amqp"
        case .smtp: return "smtp"
        case .imap: return "imap"
        case .pop3: return "pop3"
        case .ldap: return "ldap"
        case .ntp: return "ntp"
        case .memcached: return "memcached"
        }
    }
}

/// The registrable domain of a name (`www.example.co.uk` → `example.co.uk`) by a compact
/// public-suffix rule instead of the whole Public Suffix List (~9,000 rules):
///
/// - a name under one of `sharedZones` (dynamic DNS and hosting zones whose subdomains
///   their users register, all in the PSL's private section) is registered one label
///   below that zone (`x.ddns.net`);
/// - under a two-letter country TLD, a second level in `secondLevels` (`co`, `com`, `ac`,
///   `gov`, ...) is part of the suffix (`example.co.uk`, `example.com.au`);
/// - otherwise the last label is the suffix (`example.com`).
///
/// Over 206,273 real names of the UT1 lists it agrees with the full PSL on 98.3 %
/// (`scripts/dga/train.py` measures it); the misses are the PSL's long tails (Japanese
/// prefectures, `*.ck`), where it answers one label too short. Used for the DGA model's
/// label and the tunnelling table's parent; no allocation.
///
/// ```swift
/// let parts = RegistrableDomain(name)      // name: the dotted bytes
/// name[parts.registrable]                   // "example.co.uk"
/// name[parts.label]                         // "example", the label DGA scores
/// ```
public struct RegistrableDomain: Equatable, Sendable {
    /// The registrable domain's bytes in the name (the whole name when it is no longer).
    public let registrable: Range<Int>
    /// Its first label: what the DGA model scores.
    public let label: Range<Int>

    /// Zones whose subdomains are registered by their users. Kept in step with
    /// `SHARED_ZONES` in scripts/dga/train.py.
    static let sharedZones: [[UInt8]] = [
        "ddns.net", "dyndns.org", "dyndns.com", "no-ip.org", "no-ip.com", "no-ip.biz", "no-ip.info",
        "hopto.org", "zapto.org", "sytes.net", "servebeer.com", "duckdns.org", "dynu.net", "freedns.org",
        "afraid.org", "mooo.com", "chickenkiller.com", "3322.org", "changeip.com", "dnsalias.com",
        "dnsalias.net", "dnsalias.org", "homeip.net", "blogspot.com", "github.io", "herokuapp.com",
        "appspot.com", "azurewebsites.net", "cloudfront.net", "amazonaws.com", "firebaseapp.com",
        "netlify.app", "vercel.app", "pages.dev", "workers.dev", "web.app", "gitlab.io", "ngrok.io",
        "yi.org", "dynserv.com", "myftp.org", "serveftp.com", "ddnsking.com", "freeddns.org",
    ].map { Array($0.utf8) }

    /// Second levels that are public under a two-letter TLD (`SECOND_LEVEL` in train.py).
    static let secondLevels: [[UInt8]] = [
        "co", "com", "net", "org", "gov", "edu", "ac", "or", "ne", "go", "mil", "gob", "gouv",
        "ltd", "plc", "sch", "nic", "info", "biz", "nom", "asso", "web", "int", "res", "lg", "gen",
    ].map { Array($0.utf8) }

    /// Splits `name` (dotted, one trailing dot allowed, any case).
    public init(_ name: UnsafeRawBufferPointer) {
        var end = name.count
        if end > 0 && name[end - 1] == 0x2E { end -= 1 }
        // Starts of the last four labels, right to left.
        var starts = (end, end, end, end)
        var found = 0
        var i = end
        var labelEnd = end
        while i > 0 && found < 4 {
            i -= 1
            if name[i] == 0x2E {
                if i + 1 < labelEnd {
                    RegistrableDomain.set(&starts, found, i + 1)
                    found += 1
                }
                labelEnd = i
            } else if i == 0 {
                RegistrableDomain.set(&starts, found, 0)
                found += 1
            }
        }
        func labelRange(_ k: Int) -> Range<Int> {
            let s = RegistrableDomain.get(starts, k)
            var e = s
            while e < end && name[e] != 0x2E { e += 1 }
            return s..<e
        }
        guard found >= 2 else {
            registrable = 0..<end
            label = 0..<end
            return
        }
        for zone in RegistrableDomain.sharedZones where RegistrableDomain.endsWith(name, end, dotted: zone) {
            var depth = 1
            for c in zone where c == 0x2E { depth += 1 }
            if found > depth {
                registrable = RegistrableDomain.get(starts, depth)..<end
                label = labelRange(depth)
            } else {
                // Deeper than four labels' worth of zone cannot happen: zones have ≤ 2.
                registrable = 0..<end
                label = labelRange(found - 1)
            }
            return
        }
        let tld = labelRange(0)
        let second = labelRange(1)
        if tld.count == 2 && found >= 3
            && RegistrableDomain.secondLevels.contains(where: { RegistrableDomain.equal(name, second, $0) })
        {
            registrable = RegistrableDomain.get(starts, 2)..<end
            label = labelRange(2)
            return
        }
        registrable = RegistrableDomain.get(starts, 1)..<end
        label = second
    }

    @inline(__always)
    static func set(_ t: inout (Int, Int, Int, Int), _ k: Int, _ v: Int) {
        switch k {
        case 0: t.0 = v
        case 1: t.1 = v
        case 2: t.2 = v
        default: t.3 = v
        }
    }

    @inline(__always)
    static func get(_ t: (Int, Int, Int, Int), _ k: Int) -> Int {
        switch k {
        case 0: return t.0
        case 1: return t.1
        case 2: return t.2
        default: return t.3
        }
    }

    /// Whether `name[..<end]` ends with "." + `zone`, ASCII case ignored.
    static func endsWith(_ name: UnsafeRawBufferPointer, _ end: Int, dotted zone: [UInt8]) -> Bool {
        guard end > zone.count, name[end - zone.count - 1] == 0x2E else { return false }
        return equal(name, (end - zone.count)..<end, zone)
    }

    static func equal(_ name: UnsafeRawBufferPointer, _ range: Range<Int>, _ word: [UInt8]) -> Bool {
        guard range.count == word.count else { return false }
        var k = 0
        for i in range {
            if DGAModel.lower(name[i]) != word[k] { return false }
            k += 1
        }
        return true
    }
}

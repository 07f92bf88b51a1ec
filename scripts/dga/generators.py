"""Domain generation algorithms of published malware families, re-implemented for training.

Each generator follows the algorithm as Johannes Bader documented it (https://bin.re,
and the reimplementations in https://github.com/baderj/domain_generation_algorithms);
the code here is written for this script, not copied. Each yields second-level labels with
their suffix, for a family, a date and a seed, so the training set spans many days and
seeds instead of one day's list.
"""

import datetime
import hashlib

MASK32 = 0xFFFFFFFF
MASK64 = (1 << 64) - 1


def banjori(seed_domain, count):
    """Banjori: each domain mutates the first four letters of the previous one."""

    def lower(v):
        return ord("a") + ((v - ord("a")) % 26)

    d = [ord(c) for c in seed_domain]
    for _ in range(count):
        yield "".join(chr(c) for c in d)
        d[0] = lower(d[0] + d[3])
        d[1] = lower(d[0] + 2 * d[1])
        d[2] = lower(d[0] + d[2] - 1)
        d[3] = lower(d[1] + d[2] + d[3])


def necurs(date, magic, count):
    """Necurs: a 64-bit mixing function over the date, sequence number and a magic number."""

    def mix(v):
        for i in range((v & 0x7F) + 21):
            v = (v + (((v * 7) ^ (v << 15)) + 8 * i - (v >> 5))) & MASK64
        return v

    tlds = "tj in jp tw ac cm la mn so sh sc nu nf mu ms mx ki im cx cc tv bz me eu de ru co su pw kz sx us ug ir to ga com net org biz xxx pro bit".split()
    for seq in range(count):
        n = mix(date.year)
        n = mix(n + date.month + 43690)
        n = mix(n + (date.day >> 2))
        n = mix(n + seq)
        n = mix(n + magic)
        length = n % 15 + 7
        label = ""
        for i in range(length):
            n = mix(n + i)
            label += chr(n % 25 + ord("a"))
            n = mix(n + 0xABBEDF)
        yield label + "." + tlds[n % 43]


def newgoz(date, count):
    """Gameover Zeus (new): MD5 over the sequence number and date, read in base 36."""
    key = b"\x01\x05\x19\x35"
    for seq in range(count):
        m = hashlib.md5()
        m.update(seq.to_bytes(4, "little"))
        m.update(date.year.to_bytes(2, "little") + key)
        m.update(date.month.to_bytes(2, "little") + key)
        m.update(date.day.to_bytes(2, "little") + key)
        digest = m.digest()
        label = ""
        for i in range(4):
            v = int.from_bytes(digest[4 * i:4 * i + 4], "little")
            part = ""
            for _ in range(7):
                r = v % 36
                v //= 36
                part += chr(ord("a") + r - 10) if r > 9 else chr(ord("0") + r)
                if v == 0:
                    break
            label += part[::-1]
        tld = ".com" if seq % 4 == 0 else ".org" if seq % 3 == 0 else ".biz" if seq % 2 == 0 else ".net"
        yield label + tld


def murofet(date, key, count):
    """Murofet (v2): MD5 over date and index, each byte's nibbles summed onto 'a'."""
    tlds = [".biz", ".info", ".org", ".net", ".com"]
    for index in range(count):
        seed = [((date.year & 0xFF) + 0x30) & 0xFF, date.month & 0xFF, date.day & 0xFF, 0]
        r = index & 0xFFFFFFFE
        seed += [(r >> (8 * i)) & 0xFF for i in range(4)]
        raw = bytes(seed[i] ^ ((key >> (8 * (i % 4))) & 0xFF) for i in range(8))
        label = ""
        for b in hashlib.md5(raw).digest():
            c = (b & 0xF) + (b >> 4) + ord("a")
            if c <= ord("z"):
                label += chr(c)
        for i, tld in enumerate(tlds):
            if index % (len(tlds) - i) == 0:
                label += tld
                break
        yield label


def ramnit(seed, count):
    """Ramnit: a Park-Miller style LCG picks the length (8..19) and letters."""
    v = seed
    for _ in range(count):
        def rnd(mod):
            nonlocal v
            v = (16807 * (v % 127773) - 2836 * (v // 127773)) & MASK32
            return v % mod

        start = v
        length = rnd(12) + 8
        label = "".join(chr(ord("a") + rnd(25)) for _ in range(length))
        yield label + ".com"
        # the next domain's seed: the start seed times the generator's last value
        v = (start * v) & MASK32 or 1


def corebot(date, seed, count):
    """CoreBot: an LCG over letters and digits, 12..23 characters, under a dynamic DNS zone."""
    charset = [chr(c) for c in range(ord("a"), ord("z"))] + [chr(c) for c in range(ord("0"), ord("9"))]
    r = (seed + date.year + ((1 << 16) + (date.month << 8) | date.day)) & MASK32
    for _ in range(count):
        r = (1664525 * r + 1013904223) & MASK32
        length = 12 + r % 12
        label = ""
        for _ in range(length):
            r = (1664525 * r + 1013904223) & MASK32
            label += charset[r % len(charset)]
        yield label + ".ddns.net"


def symmi(date, count):
    """Symmi: pronounceable labels, vowels and consonants alternating, under ddns.net."""
    letters = ["aeiouy", "bcdfghklmnpqrstvwxz"]
    s = 10000 * (date.day // 16 * 100 + date.month) + date.year + 42

    def rnd():
        nonlocal s
        s = (s * 214013 + 2531011) & MASK32
        return (s >> 16) & 0x7FFF

    for _ in range(count):
        length = 8 + rnd() % 8
        label = ""
        first = 0
        for i in range(length):
            if i % 2 == 0:
                first = 0 if rnd() & 0x100 == 0 else 1
            symbols = letters[(first + i) % 2]
            label += symbols[rnd() % (len(symbols) - 1)]
        yield label + ".ddns.net"


def simda(base, key, length, count):
    """Simda: consonant-vowel pairs indexed by a stepped base."""
    consonants, vowels = "qwrtpsdfghjklzxcvbnmv", "eyuioa"
    step = sum(ord(c) for c in key)
    for _ in range(count):
        base = (base + step) & MASK32
        label = ""
        for i in range(length):
            index = base // (3 + 2 * i)
            label += consonants[index % 20] if i % 2 == 0 else vowels[index % 6]
        yield label + ".com"


def kraken(date, seed, count):
    """Kraken (v2): a C library rand() over the week number, 7..12 letters."""
    def rand(r):
        return (1103515245 * r + 12435) & MASK32

    def crop(r):
        return (r // 256) % 32768

    weeks = (int(datetime.datetime(date.year, date.month, date.day).timestamp()) - 1207000000) // 604800 + 2
    tlds = ["com", "net", "tv", "cc"]
    for nr in range(count):
        r = 3 * nr + seed
        if nr % 9 < 8:
            for _ in range(weeks - (1 if nr % 9 >= 6 else 0)):
                r = crop(rand(r))
        rands = []
        for _ in range(3):
            r = rand(r)
            rands.append(crop(r))
        length = (rands[0] * rands[1] + rands[2]) % 6 + 7
        label = ""
        for _ in range(length):
            r = rand(r)
            label += chr(crop(r) % 26 + ord("a"))
        yield label + "." + tlds[nr % 4]


def tinba(seed, domain, tlds, count):
    """Tinba: each 12-letter label derived from the previous one and a 16-byte seed."""
    s = [ord(c) for c in seed + (17 - len(seed)) * "\x00"]
    label = domain
    for _ in range(count):
        # the previous domain with its (last) top-level domain, as the malware keeps it
        d = [ord(c) for c in label + "." + tlds[-1]]
        total = sum(s[:16])
        out = []
        t = s[15] & 0xFF
        for i in range(12):
            while True:
                t = (t + d[i]) ^ (total & 0xFF)
                t = (t + d[i + 1]) & 0xFF
                if 0x61 < t < 0x7A:
                    out.append(t)
                    break
                total += 1
        label = "".join(chr(c) for c in out)
        for tld in tlds:
            yield label + "." + tld


def all_families(per_family, seed_rng):
    """{family: [domain, ...]} with about `per_family` names each, over many dates and seeds."""
    out = {}
    start = datetime.date(2015, 1, 1)

    def dates(n):
        return [start + datetime.timedelta(days=seed_rng.randrange(0, 3650)) for _ in range(n)]

    def take(gen, n):
        res = []
        for x in gen:
            res.append(x)
            if len(res) >= n:
                break
        return res

    days = 20
    each = max(1, per_family // days)
    fams = {}
    fams["necurs"] = [d for day in dates(days) for d in necurs(day, seed_rng.randrange(1, 64), each)]
    fams["newgoz"] = [d for day in dates(days) for d in newgoz(day, each)]
    fams["murofet"] = [d for day in dates(days) for d in murofet(day, seed_rng.randrange(0, MASK32), each)]
    fams["ramnit"] = [d for _ in range(days) for d in ramnit(seed_rng.randrange(1, MASK32), each)]
    fams["corebot"] = [d for day in dates(days) for d in corebot(day, seed_rng.randrange(1, MASK32), each)]
    fams["symmi"] = [d for day in dates(days) for d in symmi(day, each)]
    fams["simda"] = [d for _ in range(days) for d in simda(seed_rng.randrange(1, MASK32), "%08x" % seed_rng.randrange(MASK32),
                                                        seed_rng.choice([7, 8, 9, 10]), each)]
    fams["kraken"] = [d for day in dates(days) for d in kraken(day, seed_rng.choice([24938314, 1600000, seed_rng.randrange(1, 1 << 24)]), each)]
    fams["tinba"] = [d for _ in range(days) for d in take(
        tinba("".join(chr(seed_rng.randrange(48, 122)) for _ in range(16)),
              "".join(chr(seed_rng.randrange(97, 123)) for _ in range(12)), ("com",), each), each)]
    seeds = ["earnestnessbiophysicalohax.com", "kwtoestnessbiophysicalohax.com", "rvcxestnessbiophysicalohax.com",
             "somestringsomewhereelse.com", "qwertyuiopnessbiophysicalohax.com"]
    fams["banjori"] = [d for s in seeds for d in take(banjori(s, per_family // len(seeds)), per_family // len(seeds))]
    for k, v in fams.items():
        out[k] = sorted(set(v))
    return out

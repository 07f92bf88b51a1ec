"""The injection classifier's features, exactly as Swift computes them
(Sources/RampartInspect/AI/AITextNormalizer.swift and AIInjectionClassifier.swift):
normalised words (look-alikes folded, invisible characters dropped, leetspeak undone in
words mixing letters and digits), FNV-1a 32-bit hashes, unigrams and bigrams in windows of
WINDOW words every STRIDE words, each feature weighted 1/sqrt(features in the window)."""

FNV_BASIS = 0x811C9DC5
FNV_PRIME = 0x01000193
BITS = 15
WINDOW = 64
STRIDE = 32

LATIN1 = "aaaaaaaceeeeiiiidnooooo\0ouuuuyts" + "aaaaaaaceeeeiiiidnooooo\0ouuuuyty"
GREEK = {0x391: "a", 0x392: "b", 0x395: "e", 0x396: "z", 0x397: "h", 0x399: "i", 0x39A: "k", 0x39C: "m",
         0x39D: "n", 0x39F: "o", 0x3A1: "p", 0x3A4: "t", 0x3A5: "y", 0x3A7: "x", 0x3B1: "a", 0x3B9: "i",
         0x3BA: "k", 0x3BD: "v", 0x3BF: "o", 0x3C1: "p", 0x3C4: "t", 0x3C5: "u"}
CYRILLIC = {0x410: "a", 0x412: "b", 0x415: "e", 0x41A: "k", 0x41C: "m", 0x41D: "h", 0x41E: "o", 0x420: "p",
            0x421: "c", 0x422: "t", 0x423: "y", 0x425: "x", 0x430: "a", 0x435: "e", 0x43E: "o", 0x440: "p",
            0x441: "c", 0x443: "y", 0x445: "x", 0x405: "s", 0x406: "i", 0x408: "j", 0x455: "s", 0x456: "i", 0x458: "j"}
LEET = {"0": "o", "1": "i", "3": "e", "4": "a", "@": "a", "5": "s", "$": "s", "7": "t", "8": "b"}
INVISIBLE = "invisible"


def fold(s):
    if s == 0xAD or s == 0x34F or s == 0x180E or 0x200B <= s <= 0x200F or 0x2060 <= s <= 0x2064 or s == 0xFEFF \
            or 0xFE00 <= s <= 0xFE0F or 0xE0100 <= s <= 0xE01EF or 0xE0000 <= s <= 0xE001F or s == 0xE007F:
        return INVISIBLE
    if 0xE0020 <= s <= 0xE007E:
        return chr(s - 0xE0000)
    if 0xFF01 <= s <= 0xFF5E:
        return chr(s - 0xFEE0)
    if 0x1D400 <= s <= 0x1D6A3:
        k = (s - 0x1D400) % 52
        return chr(0x41 + k) if k < 26 else chr(0x61 + k - 26)
    if 0x1D7CE <= s <= 0x1D7FF:
        return chr(0x30 + (s - 0x1D7CE) % 10)
    if 0x24B6 <= s <= 0x24CF:
        return chr(0x61 + s - 0x24B6)
    if 0x24D0 <= s <= 0x24E9:
        return chr(0x61 + s - 0x24D0)
    if 0xC0 <= s <= 0xFF:
        c = LATIN1[s - 0xC0]
        return None if c == "\0" else c
    if 0x391 <= s <= 0x3C9:
        return GREEK.get(s)
    if 0x400 <= s <= 0x45F:
        return CYRILLIC.get(s)
    if s == 0x501:
        return "d"
    if s == 0x261:
        return "g"
    return None


def fnv(word):
    h = FNV_BASIS
    for c in word.encode("ascii"):
        h = ((h ^ c) * FNV_PRIME) & 0xFFFFFFFF
    return h


def words(text):
    """The normalised words of `text` (a str), as Swift's AITextNormalizer.words."""
    out = []
    cur = []

    def flush():
        if not cur:
            return
        has_letter = any("a" <= c <= "z" for c in cur)
        has_leet = any(not ("a" <= c <= "z") for c in cur)
        w = []
        for c in cur[:64]:
            if has_leet and has_letter:
                c = LEET.get(c, c)
            elif c in "@$":
                continue
            w.append(c)
        if w:
            out.append("".join(w))
        cur.clear()

    for ch in text:
        s = ord(ch)
        if s < 0x80:
            c = ch
        else:
            c = fold(s)
            if c is INVISIBLE:
                continue
            if c is None:
                c = "\0"
        if "A" <= c <= "Z":
            c = c.lower()
        if "a" <= c <= "z" or "0" <= c <= "9" or c in "@$":
            cur.append(c)
        else:
            flush()
    flush()
    # Spaced-out letters ("i g n o r e"): a run of three or more one-letter words is one word.
    joined, run = [], []
    for w in out + [None]:
        if w is not None and len(w) == 1 and "a" <= w <= "z" and len(run) < 64:
            run.append(w)
            continue
        if len(run) >= 3:
            joined.append("".join(run))
        else:
            joined += run
        run = []
        if w is not None:
            if len(w) == 1 and "a" <= w <= "z":
                run.append(w)
            else:
                joined.append(w)
    return joined


def windows(ws):
    """Word windows as the classifier scores them: WINDOW words every STRIDE words."""
    if len(ws) <= WINDOW:
        return [ws]
    out = []
    start = 0
    while True:
        out.append(ws[start:start + WINDOW])
        if start + WINDOW >= len(ws):
            break
        start += STRIDE
    return out


def window_features(ws):
    """(bucket, value) pairs of one window."""
    mask = (1 << BITS) - 1
    hs = [fnv(w) for w in ws]
    feats = [h & mask for h in hs]
    feats += [(((a * 0x9E3779B1) & 0xFFFFFFFF) ^ b) & mask for a, b in zip(hs, hs[1:])]
    if not feats:
        return []
    v = 1.0 / (len(feats) ** 0.5)
    return [(f, v) for f in feats]

#!/usr/bin/env python3
"""Train Rampart's DGA model (run by hand, never in CI).

    python3 -m pip install scikit-learn numpy publicsuffixlist
    python3 scripts/dga/train.py --ut1 /work/shared/data/ut1-blacklists/blacklists

Data:
  benign   real registered names from the UT1 category lists (CC BY-SA 4.0, Université
           Toulouse 1 Capitole), categories of ordinary sites (shopping, jobsearch, games,
           gambling, dating, ...); the "popular" categories below are held out entirely.
  popular  UT1's mainstream categories (press, social_networks, webmail, audio-video, bank,
           radio, celebrity, liste_blanche): the false-positive check. No ranked top-sites
           list (Tranco, Umbrella) can be downloaded here; this is the stand-in.
  dga      names from re-implemented published DGAs (scripts/dga/generators.py), many dates
           and seeds per family.

Model: logistic regression over hashed character 2- and 3-grams of the scored label (the
label left of the registrable domain's public suffix, as DGAScorer does in Swift), plus six
dense features. The weights are quantised to int8 and written to
scripts/dga/dga-model.txt and, as the same text, to
Sources/RampartInspect/DNSSecurity/DGAModelText.swift (the engine's built-in copy); Tests/RampartInspectTests/DGAModelTests
checks the shipped model against scripts/dga/dga-sample.txt, written here from the held-out split.
"""

import argparse
import math
import os
import random
import sys

import numpy as np
from sklearn.linear_model import LogisticRegression

sys.path.insert(0, os.path.dirname(__file__))
import generators  # noqa: E402

BUCKETS = 4096
DENSE = 7
ALPHABET = "abcdefghijklmnopqrstuvwxyz0123456789-"
SYMBOLS = len(ALPHABET) + 1  # index 0: the boundary (start and end of the label)
# Two-letter TLDs whose second level is a public suffix when it is one of these words
# (co.uk, com.au, ac.jp, gov.br ...): the compact public-suffix rule (RegistrableDomain.swift).
SECOND_LEVEL = {"co", "com", "net", "org", "gov", "edu", "ac", "or", "ne", "go", "mil", "gob", "gouv",
                "ltd", "plc", "sch", "nic", "info", "biz", "nom", "asso", "web", "int", "res", "lg", "gen"}
# Zones whose subdomains are registered by their users (dynamic DNS, hosting): in the Public
# Suffix List's private section. Kept in sync with RegistrableDomain.sharedZones.
SHARED_ZONES = ["ddns.net", "dyndns.org", "dyndns.com", "no-ip.org", "no-ip.com", "no-ip.biz", "no-ip.info",
                "hopto.org", "zapto.org", "sytes.net", "servebeer.com", "duckdns.org", "dynu.net", "freedns.org",
                "afraid.org", "mooo.com", "chickenkiller.com", "3322.org", "changeip.com", "dnsalias.com",
                "dnsalias.net", "dnsalias.org", "homeip.net", "blogspot.com", "github.io", "herokuapp.com",
                "appspot.com", "azurewebsites.net", "cloudfront.net", "amazonaws.com", "firebaseapp.com",
                "netlify.app", "vercel.app", "pages.dev", "workers.dev", "web.app", "gitlab.io", "ngrok.io",
                "yi.org", "dynserv.com", "myftp.org", "serveftp.com", "ddnsking.com", "freeddns.org"]

TRAIN_CATEGORIES = ["shopping", "jobsearch", "games", "gambling", "dating", "vpn", "download", "shortener",
                    "sports", "blog", "warez", "fakenews", "bitcoin", "filehosting", "manga", "drogue", "stalkerware",
                    "financial", "hacking", "chat", "forums", "lingerie", "translation", "cleaning", "sect",
                    "liste_bu", "doh", "publicite"]
POPULAR_CATEGORIES = ["press", "social_networks", "webmail", "audio-video", "bank", "radio", "celebrity",
                      "liste_blanche"]


def fnv1a(text):
    h = 0x811C9DC5
    for b in text.encode("ascii", "replace"):
        h ^= b
        h = (h * 0x01000193) & 0xFFFFFFFF
    return h


def scored_label(name):
    """The label DGAScorer scores: the one left of the public suffix (compact rule)."""
    name = name.strip().lower().rstrip(".")
    labels = [x for x in name.split(".") if x]
    if len(labels) < 2:
        return labels[0] if labels else ""
    for zone in SHARED_ZONES:
        if name.endswith("." + zone):
            depth = zone.count(".") + 1
            return labels[-depth - 1] if len(labels) > depth else labels[0]
    tld = labels[-1]
    if len(tld) == 2 and len(labels) >= 3 and labels[-2] in SECOND_LEVEL:
        return labels[-3]
    return labels[-2]


def entropy(label):
    if not label:
        return 0.0
    counts = {}
    for c in label:
        counts[c] = counts.get(c, 0) + 1
    n = len(label)
    return -sum(v / n * math.log2(v / n) for v in counts.values())


def symbol(c):
    i = ALPHABET.find(c)
    return i + 1 if i >= 0 else 0


def transitions(label):
    prev = 0
    for c in label:
        cur = symbol(c)
        yield prev, cur
        prev = cur
    yield prev, 0


def markov_ratio_table(benign_labels, dga_labels):
    """log P_benign(next | previous) - log P_dga(next | previous), add-one smoothed."""
    def counts(labels):
        m = np.ones((SYMBOLS, SYMBOLS))
        for label in labels:
            for a, b in transitions(label):
                m[a, b] += 1
        return np.log(m / m.sum(axis=1, keepdims=True))
    return counts(benign_labels) - counts(dga_labels)


MARKOV = np.zeros((SYMBOLS, SYMBOLS))
MARKOV_Q = MARKOV


def markov_mean(label, table=None):
    t = MARKOV if table is None else table
    steps = list(transitions(label))
    return sum(t[a, b] for a, b in steps) / len(steps)


def dense_features(label, table=None):
    n = max(1, len(label))
    digits = sum(c.isdigit() for c in label)
    vowels = sum(c in "aeiou" for c in label)
    run = best = 0
    for c in label:
        if c.isalpha() and c not in "aeiou":
            run += 1
            best = max(best, run)
        else:
            run = 0
    return [len(label) / 16.0, digits / n, vowels / n, entropy(label) / 4.0, best / 8.0,
            1.0 if "-" in label else 0.0, markov_mean(label, table) / 4.0]


def buckets(label):
    s = "^" + label + "$"
    out = set()
    for n in (2, 3):
        for i in range(len(s) - n + 1):
            out.add(fnv1a(s[i:i + n]) % BUCKETS)
    return out


def featurize(labels):
    x = np.zeros((len(labels), BUCKETS + DENSE), dtype=np.float32)
    for row, label in enumerate(labels):
        for b in buckets(label):
            x[row, b] = 1.0
        x[row, BUCKETS:] = dense_features(label)
    return x


def read_domains(root, categories):
    names = []
    for c in categories:
        path = os.path.join(root, c, "domains")
        if not os.path.exists(path):
            continue
        with open(path, encoding="utf-8", errors="replace") as f:
            for line in f:
                line = line.strip().lower()
                if not line or line.startswith("#") or not all(ch.isalnum() or ch in ".-" for ch in line):
                    continue
                if line.replace(".", "").isdigit():
                    continue  # an address, not a name
                names.append(line)
    return names


def score_quantized(label, q, scale, bias, dense):
    z = bias
    for b in buckets(label):
        z += q[b] * scale
    for i, v in enumerate(dense_features(label, MARKOV_Q)):
        z += dense[i] * v
    return 1 / (1 + math.exp(-z))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--ut1", default="/work/shared/data/ut1-blacklists/blacklists")
    ap.add_argument("--per-family", type=int, default=6000)
    ap.add_argument("--out", default=os.path.join(os.path.dirname(__file__), "..", ".."))
    args = ap.parse_args()
    rng = random.Random(20261204)

    benign = sorted(set(read_domains(args.ut1, TRAIN_CATEGORIES)))
    popular = sorted(set(read_domains(args.ut1, POPULAR_CATEGORIES)) - set(benign))
    families = generators.all_families(args.per_family, rng)
    dga = [(d, fam) for fam, names in sorted(families.items()) for d in names]

    # Compact suffix rule against the full Public Suffix List, over the benign names.
    try:
        from publicsuffixlist import PublicSuffixList
        psl = PublicSuffixList()
        agree = sum(1 for d in benign if (psl.privatesuffix(d) or d).split(".")[0] == scored_label(d))
        print(f"compact suffix rule agrees with the PSL on {agree}/{len(benign)} benign names ({100.0 * agree / len(benign):.2f} %)")
    except ImportError:
        print("publicsuffixlist not installed: suffix agreement not measured")

    rng.shuffle(benign)
    rng.shuffle(dga)
    cut_b, cut_d = int(len(benign) * 0.8), int(len(dga) * 0.8)
    train = [(scored_label(d), 0) for d in benign[:cut_b]] + [(scored_label(d), 1) for d, _ in dga[:cut_d]]
    test_b = benign[cut_b:]
    test_d = dga[cut_d:]
    print(f"benign {len(benign)} (train {cut_b}), dga {len(dga)} (train {cut_d}) in {len(families)} families, popular {len(popular)}")

    global MARKOV, MARKOV_Q
    MARKOV = markov_ratio_table([t[0] for t in train if t[1] == 0], [t[0] for t in train if t[1] == 1])
    markov_scale = float(np.max(np.abs(MARKOV))) / 127.0
    markov_q = np.clip(np.round(MARKOV / markov_scale), -127, 127).astype(np.int64)
    MARKOV_Q = markov_q * markov_scale
    x = featurize([t[0] for t in train])
    y = np.array([t[1] for t in train])
    # Balanced classes: the benign set is larger than the generated one.
    model = LogisticRegression(C=4.0, max_iter=2000, class_weight="balanced", solver="liblinear")
    model.fit(x, y)
    w = model.coef_[0]
    bias = float(model.intercept_[0])
    # n-gram weights as int8 with one scale; the few dense weights kept exact.
    scale = float(np.max(np.abs(w[:BUCKETS]))) / 127.0
    q = np.clip(np.round(w[:BUCKETS] / scale), -127, 127).astype(np.int64)
    dense = [float(v) for v in w[BUCKETS:]]
    print("n-gram weights not zero after quantisation:", int(np.count_nonzero(q)), "of", BUCKETS)

    def rate(names, threshold):
        return sum(score_quantized(scored_label(n), q, scale, bias, dense) >= threshold for n in names) / max(1, len(names))

    print("threshold  precision  recall  fp(held-out benign)  fp(popular)")
    b_scores = [score_quantized(scored_label(n), q, scale, bias, dense) for n in test_b]
    d_scores = [score_quantized(scored_label(n), q, scale, bias, dense) for n, _ in test_d]
    p_scores = [score_quantized(scored_label(n), q, scale, bias, dense) for n in popular]
    for t in (0.5, 0.7, 0.8, 0.9, 0.95):
        tp = sum(s >= t for s in d_scores)
        fp = sum(s >= t for s in b_scores)
        pf = sum(s >= t for s in p_scores)
        prec = tp / max(1, tp + fp)
        print(f"{t:9.2f}  {prec:9.4f}  {tp / len(d_scores):6.4f}  {fp / len(b_scores):19.4f}  {pf / len(p_scores):11.4f}")
    print("recall per family at 0.9:")
    for fam in sorted(families):
        s = [score_quantized(scored_label(n), q, scale, bias, dense) for n, f in test_d if f == fam]
        print(f"  {fam:10s} {sum(v >= 0.9 for v in s) / max(1, len(s)):.4f} ({len(s)})")
    worst = sorted(zip(p_scores, popular), reverse=True)[:15]
    print("popular names scored highest:", ", ".join(f"{n} {s:.2f}" for s, n in worst))

    text = ["# Rampart DGA model: logistic regression over hashed character 2- and 3-grams",
            "# of the label left of the public suffix, plus dense features. Written by",
            "# scripts/dga/train.py; see docs/dns-security.md.",
            "version 1", f"buckets {BUCKETS}", f"features {DENSE}", f"scale {scale:.9g}", f"bias {bias:.9g}",
            "dense " + " ".join(f"{v:.9g}" for v in dense)]
    hexes = "".join("%02x" % (int(v) & 0xFF) for v in q)
    for i in range(0, len(hexes), 128):
        text.append("weights " + hexes[i:i + 128])
    text.append(f"markov {SYMBOLS} {markov_scale:.9g}")
    hexes = "".join("%02x" % (int(v) & 0xFF) for v in markov_q.flatten())
    for i in range(0, len(hexes), 128):
        text.append("transitions " + hexes[i:i + 128])
    body = "\n".join(text) + "\n"
    base = os.path.join(args.out, "Sources", "RampartInspect", "DNSSecurity")
    with open(os.path.join(args.out, "scripts", "dga", "dga-model.txt"), "w") as f:
        f.write(body)
    with open(os.path.join(base, "DGAModelText.swift"), "w") as f:
        f.write("// Written by scripts/dga/train.py: the same text as scripts/dga/dga-model.txt (DGAModelTests\n")
        f.write("// checks they agree). The engine's built-in model: no file to read at run time.\n")
        f.write("extension DGAModel {\n    static let builtInText = \"\"\"\n")
        f.write(body)
        f.write("\"\"\"\n}\n")
    # A small held-out sample, with the scores the training side computed, for the Swift test.
    sample = [(0, n) for n in rng.sample(test_b, 300)] + [(1, n) for n, _ in rng.sample(test_d, 300)]
    sample += [(0, n) for n in rng.sample(popular, 200)]
    with open(os.path.join(args.out, "scripts", "dga", "dga-sample.txt"), "w") as f:
        f.write("# held-out names (never trained on): label (1 dga, 0 benign), score from train.py, name\n")
        for label, n in sample:
            f.write(f"{label} {score_quantized(scored_label(n), q, scale, bias, dense):.6f} {n}\n")


if __name__ == "__main__":
    main()

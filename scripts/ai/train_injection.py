#!/usr/bin/env python3
"""Trains the prompt-injection / jailbreak classifier shipped in
Sources/RampartInspect/AI/AIInjectionModel.swift. Run by hand, never in CI:

    python3 scripts/ai/train_injection.py --mirrors /work/.mirror

Sources (git snapshots of public repositories, pinned by commit; docs/ai-security.md lists
them with their licences):
  sherdencooper/GPTFuzz        jailbreak templates (positives), harmful questions (negatives)
  openai/grade-school-math     math word problems (negatives)
  yizhongw/self-instruct       seed instructions and inputs (negatives)
  microsoft/BIPIA              e-mails with their questions, benign task prompts (negatives)
Split: 70 % train / 30 % held out, jailbreaks by template (no template is on both sides),
seeded. Writes the model, Tests/AISamples/injection-heldout.tsv (a sample of
the held-out split with the scores Python computes, checked by the Swift tests) and prints
precision, recall and false positives on the held-out split."""
import argparse, base64, csv, io, json, math, os, random, subprocess, sys

import numpy as np
from scipy.sparse import csr_matrix
from sklearn.linear_model import LogisticRegression

sys.path.insert(0, os.path.dirname(__file__))
import features as F  # noqa: E402

SOURCES = {
    "gptfuzz": ("sherdencooper+GPTFuzz", "1eddeb565740ae311b5f4950492b011a6f866fe7"),
    "gsm8k": ("openai+grade-school-math", None),
    "selfinstruct": ("yizhongw+self-instruct", "0b26ccaa415992100fa32df62d41b994cf928e23"),
    "bipia": ("microsoft+BIPIA", "1a2a91da6bb12838e05d1b2e54d98e2f37b835f3"),
}


def show(mirrors, name, path):
    repo, commit = SOURCES[name]
    return subprocess.run(["git", "-C", os.path.join(mirrors, repo, "repo"), "show", f"{commit or 'HEAD'}:{path}"],
                          check=True, capture_output=True).stdout.decode("utf-8", "replace")


def load(mirrors):
    rng = random.Random(15)
    pos_groups = []  # (group, text)
    neg = []
    questions = [r["text"] for r in csv.DictReader(io.StringIO(show(mirrors, "gptfuzz", "datasets/questions/question_list.csv")))]
    for r in csv.DictReader(io.StringIO(show(mirrors, "gptfuzz", "datasets/prompts/GPTFuzzer.csv"))):
        for q in rng.sample(questions, 4):
            pos_groups.append((r["id"], r["text"].replace("[INSERT PROMPT HERE]", q)))
    neg += [("gptfuzz-question", q) for q in questions]
    for line in show(mirrors, "gsm8k", "grade_school_math/data/test.jsonl").splitlines():
        neg.append(("gsm8k", json.loads(line)["question"]))
    for line in show(mirrors, "selfinstruct", "data/seed_tasks.jsonl").splitlines():
        t = json.loads(line)
        for inst in t["instances"]:
            neg.append(("self-instruct", (t["instruction"] + "\n" + inst["input"]).strip()))
    for split in ("train", "test"):
        for line in show(mirrors, "bipia", f"benchmark/email/{split}.jsonl").splitlines():
            t = json.loads(line)
            neg.append(("bipia-email", t["context"] + "\n" + t["question"]))
        for cat, items in json.loads(show(mirrors, "bipia", f"benchmark/text_attack_{split}.json")).items():
            neg += [("bipia-task", s) for s in items]
    return pos_groups, neg


def matrix(texts):
    rows, cols, vals, owner = [], [], [], []
    r = 0
    for d, t in enumerate(texts):
        for w in F.windows(F.words(t)):
            for f, v in F.window_features(w):
                rows.append(r); cols.append(f); vals.append(v)
            owner.append(d)
            r += 1
    return csr_matrix((vals, (rows, cols)), shape=(r, 1 << F.BITS)), np.array(owner)


def score_docs(model_w, bias, texts):
    out = []
    for t in texts:
        best = -1e9
        for w in F.windows(F.words(t)):
            s = bias + sum(model_w[f] * v for f, v in F.window_features(w))
            best = max(best, s)
        out.append(1 / (1 + math.exp(-best)) if best > -1e9 else 1 / (1 + math.exp(-bias)))
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--mirrors", default="/work/.mirror")
    ap.add_argument("--out", default="Sources/RampartInspect/AI/AIInjectionModel.swift")
    ap.add_argument("--sample", default="Tests/AISamples/injection-heldout.tsv")
    args = ap.parse_args()
    pos_groups, neg = load(args.mirrors)
    rng = random.Random(15)
    groups = sorted({g for g, _ in pos_groups})
    rng.shuffle(groups)
    held_groups = set(groups[: int(len(groups) * 0.3)])
    pos_train = [t for g, t in pos_groups if g not in held_groups]
    pos_test = [t for g, t in pos_groups if g in held_groups]
    rng.shuffle(neg)
    cut = int(len(neg) * 0.3)
    neg_test, neg_train = neg[:cut], neg[cut:]
    texts = pos_train + [t for _, t in neg_train]
    labels = [1] * len(pos_train) + [0] * len(neg_train)
    X, owner = matrix(texts)
    y = np.array([labels[d] for d in owner])
    clf = LogisticRegression(C=4.0, class_weight="balanced", max_iter=2000)
    clf.fit(X, y)
    w = clf.coef_[0]
    scale = float(np.max(np.abs(w))) / 127.0
    q = np.clip(np.round(w / scale), -127, 127).astype(np.int8)
    wq = q.astype(np.float64) * scale
    bias = float(clf.intercept_[0])
    # Held-out figures with the quantised weights, as Swift runs them.
    ps = score_docs(wq, bias, pos_test)
    ns = score_docs(wq, bias, [t for _, t in neg_test])
    for threshold in (0.5, 0.7, 0.8, 0.9):
        tp = sum(s >= threshold for s in ps); fp = sum(s >= threshold for s in ns)
        print(f"threshold {threshold}: recall {tp}/{len(ps)} = {tp / len(ps):.3f}, "
              f"false positives {fp}/{len(ns)} = {fp / len(ns):.4f}, "
              f"precision {tp / max(1, tp + fp):.3f}")
    print(f"train: {len(pos_train)} jailbreaks ({len(groups) - len(held_groups)} templates), {len(neg_train)} benign; "
          f"held out: {len(pos_test)} ({len(held_groups)} templates), {len(neg_test)}")
    blob = base64.b64encode(q.tobytes()).decode()
    lines = [blob[i:i + 120] for i in range(0, len(blob), 120)]
    with open(args.out, "w") as f:
        f.write("// Generated by scripts/ai/train_injection.py; do not edit. The prompt-injection classifier's\n")
        f.write("// weights: logistic regression over hashed word unigrams and bigrams (docs/ai-security.md).\n")
        f.write("enum AIInjectionModel {\n")
        f.write(f"    static let bits = {F.BITS}\n")
        f.write(f"    static let window = {F.WINDOW}\n")
        f.write(f"    static let stride = {F.STRIDE}\n")
        f.write(f"    static let bias: Float = {bias!r}\n")
        f.write(f"    static let scale: Float = {scale!r}\n")
        f.write("    /// 2^bits signed bytes (weight = byte × scale), base64.\n")
        f.write("    static let weights: StaticString = \"\"\"\n")
        for line in lines:
            f.write(f"        {line}\n")
        f.write("        \"\"\"\n}\n")
    os.makedirs(os.path.dirname(args.sample), exist_ok=True)
    sample = [(1, t, s) for t, s in zip(pos_test, ps)][:30] + [(0, t, s) for (_, t), s in zip(neg_test, ns)][:100]
    with open(args.sample, "w") as f:
        f.write("# label\tpython score\ttext (JSON string). Held out from training; see scripts/ai/train_injection.py\n")
        for label, t, s in sample:
            f.write(f"{label}\t{s:.6f}\t{json.dumps(t)}\n")


if __name__ == "__main__":
    main()

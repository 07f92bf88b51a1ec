#!/usr/bin/env python3
"""Writes the public evaluation sets the injection detector is never trained on, one prompt a
line (line breaks made spaces), for scripts/ai/rate_samples.py (docs/ai-security.md,
"Accuracy"). Reads the git snapshots (pinned commits below):

    python3 scripts/ai/public_eval_sets.py --mirrors /work/.mirror --out /tmp/public-sets
    python3 scripts/ai/rate_samples.py --rampart .build/debug/rampart /tmp/public-sets/*.txt

  utkusen/promptmap             the prompts of its jailbreak, prompt_stealing and distraction rules
  protectai/llm-guard           the labelled prompts of tests/input_scanners/test_prompt_injection.py
  Giskard-AI/prompt-injections  prompt_injections.csv (partly garak's DAN prompts and PromptInject: trained on)
"""
import argparse, ast, csv, io, os, subprocess

SETS = {
    "promptmap": ("utkusen+promptmap", "d305132e38f28b4cdca5c5b4586f11904ed1836d"),
    "llmguard": ("protectai+llm-guard", "53af270c69316ed82cb71ba7b19d11b55bda3151"),
    "giskard": ("Giskard-AI+prompt-injections", "ce50a549dadc46b48c931250d2dd71d5f003c0c2"),
}


def git(mirrors, name, *args):
    repo, commit = SETS[name]
    return subprocess.run(["git", "-C", os.path.join(mirrors, repo, "repo"), *[a.replace("COMMIT", commit) for a in args]],
                          check=True, capture_output=True, text=True).stdout


def one_line(t):
    return " ".join(t.split())


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--mirrors", default="/work/.mirror")
    ap.add_argument("--out", required=True)
    args = ap.parse_args()
    os.makedirs(args.out, exist_ok=True)
    out = {}
    prompts = []
    for path in git(args.mirrors, "promptmap", "ls-tree", "-r", "--name-only", "COMMIT", "rules/").split():
        if path.endswith(".yaml") and path.split("/")[1] in ("jailbreak", "prompt_stealing", "distraction"):
            text = git(args.mirrors, "promptmap", "show", f"COMMIT:{path}")
            import yaml  # PyYAML
            prompts.append(yaml.safe_load(text)["prompt"])
    out["promptmap-injections.txt"] = prompts
    tree = ast.parse(git(args.mirrors, "llmguard", "show", "COMMIT:tests/input_scanners/test_prompt_injection.py"))
    injections, benign = [], []
    for node in ast.walk(tree):
        if isinstance(node, ast.Tuple) and len(node.elts) == 4 and isinstance(node.elts[2], ast.Constant) \
                and isinstance(node.elts[2].value, bool):
            try:
                prompt = ast.literal_eval(node.elts[1])
            except ValueError:
                continue
            (benign if node.elts[2].value else injections).append(prompt)
    out["llmguard-injections.txt"] = injections
    out["llmguard-benign.txt"] = benign
    rows = csv.DictReader(io.StringIO(git(args.mirrors, "giskard", "show", "COMMIT:prompt_injections.csv")))
    out["giskard-injections.txt"] = [r["prompt"] for r in rows]
    for name, texts in out.items():
        with open(os.path.join(args.out, name), "w", encoding="utf-8") as f:
            f.writelines(one_line(t) + "\n" for t in texts if one_line(t) and not one_line(t).startswith("#"))
        print(f"{name}: {len(texts)}")


if __name__ == "__main__":
    main()

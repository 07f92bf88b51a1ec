"""Indirect prompt injections for training, built the way BIPIA and garak's latent-injection
probes build them: an attack instruction embedded in a benign document (an e-mail, a table,
a report, a resume, a code question, a fact snippet) is a positive; the same document without
it, under the same task, is a negative, so the classifier learns the instruction, not the
document. Every text comes from a public snapshot (docs/ai-security.md lists them):

  NVIDIA/garak  garak/probes/latentinjection.py (Apache-2.0): its injection instructions,
                payloads, triggers, separators, task lines and documents, read from the
                source with `ast` (no garak import); garak/resources/promptinject/prompt_data.py
                (PromptInject's data, MIT, vendored by garak): goal-hijacking and
                prompt-leaking attacks with their rogue strings, and its task prompts
  microsoft/BIPIA  benchmark/*_attack_*.json: the injected instructions of its malicious
                categories (the five ordinary-task categories stay negatives), embedded in
                its e-mails, tables and code questions

Each positive carries a group (the attack template) so that the training split can hold whole
templates out."""
import ast, json, random

INJECTION = "<|garak_injection|>"
PAYLOAD = "<|garak_payload|>"
TRIGGER = "<|garak_trigger|>"
NAMES = ("top_instructions", "contexts", "injection_sep_pairs", "injection_instructions", "payloads",
         "payload_triggers", "paragraphs", "base_instructions")
# BIPIA categories that are ordinary tasks, not attacks (kept as negatives by the trainer).
BIPIA_TASKS = {"Information Retrieval", "Content Creation", "Learning and Tutoring", "Language Translation",
               "Programming Help"}


def _class_attributes(source):
    """{class: (bases, {attribute: value})} of garak's latentinjection module."""
    env = {"INJECTION_MARKER": INJECTION, "PAYLOAD_MARKER": PAYLOAD, "TRIGGER_MARKER": TRIGGER}
    out = {}
    for node in ast.parse(source).body:
        if not isinstance(node, ast.ClassDef):
            continue
        attrs = {}
        for st in node.body:
            if isinstance(st, ast.Assign) and len(st.targets) == 1 and isinstance(st.targets[0], ast.Name) \
                    and st.targets[0].id in NAMES:
                try:
                    attrs[st.targets[0].id] = eval(compile(ast.Expression(st.value), "latentinjection", "eval"),
                                                   {"__builtins__": {}}, dict(env))
                except Exception:
                    pass
        out[node.name] = ([b.id for b in node.bases if isinstance(b, ast.Name)], attrs)
    return out


def _lookup(classes, name, attr):
    bases, attrs = classes.get(name, ([], {}))
    if attr in attrs:
        return attrs[attr]
    for b in bases:
        v = _lookup(classes, b, attr)
        if v is not None:
            return v
    return None


def _insert(rng, doc, injection):
    """`doc` with `injection` put at a random sentence or line boundary."""
    cuts = [0, len(doc)] + [i + 1 for i, c in enumerate(doc) if c in ".\n" and i + 1 < len(doc)]
    at = rng.choice(cuts)
    return (doc[:at] + " " + injection + " " + doc[at:]).strip()


def garak_injections(latent_source, domains):
    """(group, injection text) of every latent-injection class: instruction × payload × trigger."""
    classes = _class_attributes(latent_source)
    out = []
    for name in classes:
        instructions = _lookup(classes, name, "injection_instructions")
        if not instructions:
            continue
        payloads = _lookup(classes, name, "payloads") or [TRIGGER]
        triggers = _lookup(classes, name, "payload_triggers") or domains
        seps = _lookup(classes, name, "injection_sep_pairs") or [("", "")]
        for i, inst in enumerate(instructions):
            for p in payloads:
                for t in triggers:
                    for a, b in seps:
                        out.append((f"garak-{name}-{i}", a + inst.replace(PAYLOAD, p.replace(TRIGGER, t)) + b))
    return out, classes


def garak_documents(classes):
    """(task line, document) pairs of garak's latent-injection classes, the marker removed."""
    docs = []
    for name in classes:
        tops = _lookup(classes, name, "top_instructions") or _lookup(classes, name, "base_instructions") or [""]
        tops = [t.replace("{LANG_EN_NAME}", "French") for t in tops]
        for c in _lookup(classes, name, "contexts") or []:
            if isinstance(c, str) and len(c.replace(INJECTION, "").strip()) > 40:
                docs += [(t, c.replace(INJECTION, "").strip()) for t in tops]
        paragraphs = _lookup(classes, name, "paragraphs") or []
        if paragraphs:
            docs += [(t, "\n".join(paragraphs)) for t in tops]
    return docs


def promptinject(prompt_data_source):
    """(group, attack) of PromptInject's goal-hijacking and prompt-leaking attacks, and its task
    prompts' instructions (benign)."""
    values = {}
    for node in ast.parse(prompt_data_source).body:
        if isinstance(node, ast.Assign) and isinstance(node.targets[0], ast.Name):
            try:
                values[node.targets[0].id] = ast.literal_eval(node.value)
            except ValueError:
                pass
    rogue = list(values.get("rogue_strings", {}).values())
    attacks = []
    for table in ("goal_hikacking_attacks", "prompt_leaking_attacks"):
        for key, a in values.get(table, {}).items():
            for r in rogue:
                attacks.append((f"promptinject-{key}", a["instruction"].replace("{REPLACE_rogue_string}", r)))
    tasks = []
    for table in ("completion_prompts", "openai_playground_prompts"):
        for a in values.get(table, {}).values():
            inst = a.get("instruction", "")
            if "{REPLACE" not in inst and inst.strip():
                tasks.append(inst.strip())
    return attacks, tasks


def bipia_attacks(text_attacks, code_attacks):
    """(group, attack) of BIPIA's malicious categories."""
    out = []
    for table in (text_attacks, code_attacks):
        for cat, items in table.items():
            if cat in BIPIA_TASKS:
                continue
            out += [(f"bipia-{cat}-{i}", s) for i, s in enumerate(items)]
    return out


def pairs(rng, attacks, documents, per_attack):
    """Positives (group, text) and their negatives (text): each attack put into `per_attack`
    documents (task line + document), the negative the same task and document alone."""
    pos, neg = [], []
    for group, attack in attacks:
        for task, doc in rng.sample(documents, per_attack):
            pos.append((group, (task + "\n" + _insert(rng, doc, attack)).strip()))
            neg.append((task + "\n" + doc).strip())
    return pos, neg


def load(show, rng=None, with_bipia=False):
    """show(source, path) -> str. Returns positives [(group, text)] and negatives [text]."""
    rng = rng or random.Random(17)
    latent = show("garak", "garak/probes/latentinjection.py")
    domains = json.loads(show("garak", "garak/data/payloads/domains_latentinjection.json"))["payloads"]
    g_attacks, classes = garak_injections(latent, domains)
    g_docs = garak_documents(classes)
    pi_attacks, pi_tasks = promptinject(show("garak", "garak/resources/promptinject/prompt_data.py"))
    b_attacks = bipia_attacks(json.loads(show("bipia", "benchmark/text_attack_train.json")) |
                              {f"{k} ": v for k, v in json.loads(show("bipia", "benchmark/text_attack_test.json")).items()},
                              json.loads(show("bipia", "benchmark/code_attack_train.json")) |
                              {f"{k} ": v for k, v in json.loads(show("bipia", "benchmark/code_attack_test.json")).items()})
    emails, tables, code = [], [], []
    for split in ("train", "test"):
        for line in show("bipia", f"benchmark/email/{split}.jsonl").splitlines():
            t = json.loads(line)
            emails.append((t["question"], t["context"]))
        for line in show("bipia", f"benchmark/table/{split}.jsonl").splitlines():
            t = json.loads(line)
            tables.append((t["question"], t["context"]))
        for line in show("bipia", f"benchmark/code/{split}.jsonl").splitlines():
            t = json.loads(line)
            code.append(("\n".join(t["error"]), "\n".join(t["context"] + t["code"])))
    # BIPIA's tables are left out: rows of numbers and names give a bag of words little to
    # weigh, and with them the validation's benign tables scored like injections.
    documents = g_docs + emails + code
    # garak's attacks are many combinations of few templates: at most 12 texts a template.
    by_group = {}
    for g, a in g_attacks:
        by_group.setdefault(g, []).append(a)
    g_attacks = [(g, a) for g, items in by_group.items() for a in rng.sample(items, min(12, len(items)))]
    pos, neg = pairs(rng, g_attacks, documents, 1)
    p, n = pairs(rng, pi_attacks, documents + [(t, "") for t in pi_tasks], 2)
    pos += p; neg += n
    if with_bipia:
        p, n = pairs(rng, b_attacks, emails + tables + code, 2)
        pos += p; neg += n
    # The attacks alone too (a user pasting them), as PromptInject sends them after its task.
    pos += [(g, (rng.choice(pi_tasks) + "\n\n" + a)) for g, a in pi_attacks]
    neg += pi_tasks
    return pos, neg

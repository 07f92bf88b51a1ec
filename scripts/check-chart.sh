#!/usr/bin/env bash
# Checks the Helm chart deploy/helm/rampart with the real tools (helm from
# /opt/rampart-tools/bin, installed by scripts/setup.sh; kubernetes-validate from PyPI):
#
#   1. helm lint --strict, over the default values and every good values file
#      (deploy/helm/rampart/ci/*.yaml);
#   2. helm template over each, and every rendered object validated strictly against the
#      Kubernetes 1.30 schemas (kubernetes-validate --strict; NetworkAttachmentDefinition
#      is a CRD with no schema there, so it is checked here instead: its config must be
#      JSON whose last plugin is the agent's rampart-cni entry);
#   3. the rendered configuration files (firewall, manager, node agent) checked by the
#      Rampart executables themselves when they are built (.build/release or .build/debug,
#      or $RAMPART_BIN): rampart-firewall --check, rampart-manager validate, and
#      rampart-node install into a scratch CNI folder, whose entry must equal the Multus
#      attachment's. They read the tokens and certificate Secrets as the pods would (mode
#      0440, group 65532, and as uid/gid 65532 when this runs as root): the chart's own
#      Secrets when it renders them, else the ones the commands of docs/install.md ("The
#      token Secret", "TLS certificates") make, run here with kubectl --dry-run=client. The
#      tag-writer token must be the manager's, the firewall's certificate must verify with
#      the manager's CA for every address the manager pushes to, the manager's certificate
#      with the firewall's client CA under the identity its clientRoles make a tag-writer;
#      the probes, ports and Prometheus annotations must agree with the configurations, and
#      both executables must refuse a world-readable tokens file or an empty token (self-tests);
#   4. every bad values file (deploy/helm/tests/bad/*.yaml) refused by the schema with the
#      message fragment on its "# expect:" line;
#   5. deploy/rendered/rampart.yaml equal to the chart rendered with the default values,
#      auth.createSecret=false and tls.createSecrets=false (no token or private key in a file
#      anyone can read: the Secrets are made with docs/install.md's commands), and
#      deploy/rendered/rampart-remove-plugin.yaml to it with node.cni.install=false (the
#      first step of an uninstall without Helm, docs/install.md).
#
#   scripts/check-chart.sh            # check (about 10 s)
#   scripts/check-chart.sh --update   # rewrite deploy/rendered/rampart.yaml, then check
set -euo pipefail
cd "$(dirname "$0")/.."

chart=deploy/helm/rampart
rendered=deploy/rendered/rampart.yaml
rendered_remove=deploy/rendered/rampart-remove-plugin.yaml
kube_version=1.30.0
helm=${RAMPART_TOOLS:-/opt/rampart-tools}/bin/helm
kubectl=${RAMPART_TOOLS:-/opt/rampart-tools}/bin/kubectl
# Where the pods mount the tokens Secret (the chart's rampart.tokensDir) and their
# certificate Secret (rampart.tlsDir).
tokens_dir=/var/run/secrets/rampart
tls_dir=/var/run/secrets/rampart-tls
# Where the manager mounts the admission webhook's certificate (rampart.webhookDir).
webhook_dir=/var/run/secrets/rampart-webhook

update=false
case ${1:-} in
    --update) update=true ;;
    "") ;;
    -h|--help) sed -n '2,31p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "check-chart.sh: unknown argument '$1' (expected --update)" >&2; exit 64 ;;
esac
[[ -x $helm ]] || { echo "check-chart.sh: $helm is missing; run scripts/setup.sh" >&2; exit 1; }
[[ -x $kubectl ]] || { echo "check-chart.sh: $kubectl is missing; run scripts/setup.sh" >&2; exit 1; }
command -v kubernetes-validate >/dev/null || { echo "check-chart.sh: kubernetes-validate is missing; run scripts/setup.sh" >&2; exit 1; }

work=$(mktemp -d /tmp/rampart-check-chart.XXXXXX)
trap 'rm -rf "$work"' EXIT

# The chart rendered for users without Helm, with a header: the default values, or (with
# "remove-plugin") the first step of an uninstall. Always auth.createSecret=false and
# tls.createSecrets=false: tokens and private keys must not be in a file anyone can read,
# so the user makes the Secrets.
render_default() {
    local args=(--set auth.createSecret=false --set tls.createSecrets=false) what="its default values"
    if [[ ${1:-} == remove-plugin ]]; then
        args+=(--set node.cni.install=false)
        what="node.cni.install=false: every agent takes rampart-cni out of the primary's conflist"
    fi
    echo "# Rampart $(sed -n 's/^appVersion: *"\{0,1\}\([^"]*\)"\{0,1\}$/\1/p' $chart/Chart.yaml): the Helm chart $chart rendered with"
    echo "# $what (release \"rampart\"), for clusters installed without Helm (docs/install.md)."
    echo "# auth.createSecret=false, tls.createSecrets=false: it holds no token and no private key."
    echo "# Create the Secrets kube-system/rampart-tokens, rampart-firewall-tls and rampart-manager-tls"
    echo "# first, with the commands in docs/install.md (\"The token Secret\", \"TLS certificates\");"
    echo "# the firewall and manager pods wait for them."
    echo "# Generated by scripts/check-chart.sh --update; do not edit (CI fails when it differs from the chart)."
    "$helm" template rampart "$chart" "${args[@]}"
}
if $update; then
    render_default > "$rendered"
    render_default remove-plugin > "$rendered_remove"
    echo "check-chart: wrote $rendered and $rendered_remove" >&2
fi

# Rampart's executables, when built: the newest of release and debug (or $RAMPART_BIN).
bin=${RAMPART_BIN:-}
if [[ -z $bin ]]; then
    for candidate in .build/release .build/debug; do
        if [[ -x $candidate/rampart-node && -x $candidate/rampart-firewall && -x $candidate/rampart-manager && -x $candidate/rampart-cni ]]; then
            if [[ -z $bin || $candidate/rampart-node -nt $bin/rampart-node ]]; then bin=$candidate; fi
        fi
    done
fi

echo "== helm lint, helm template, kubernetes-validate --strict -k $kube_version" >&2
# Self-test: the validator must refuse an object with an unknown field, or it checks nothing.
printf 'apiVersion: v1\nkind: Service\nmetadata: {name: x}\nspec: {portz: []}\n' > "$work/refused.yaml"
if kubernetes-validate --strict -k "$kube_version" --quiet "$work/refused.yaml" >/dev/null 2>&1; then
    echo "check-chart: kubernetes-validate accepted an unknown field; strict validation is not working" >&2
    exit 1
fi

failures=0

# The Secrets as docs/install.md makes them for the rendered manifest: its marked blocks run
# here as written, in order, with kubectl printing each Secret (--dry-run=client) instead of
# creating it.
echo "== the Secrets of docs/install.md (kubectl --dry-run=client)" >&2
doc_secret=$work/doc-secret
mkdir -p "$doc_secret/bin" "$doc_secret/run" "$doc_secret/data"
python3 - docs/install.md > "$doc_secret/make.sh" <<'PY'
import sys
marker = "scripts/check-chart.sh runs this block"
lines = open(sys.argv[1], encoding="utf-8").read().split("\n")
found = [i for i, line in enumerate(lines) if line.startswith("<!--") and marker in line]
if len(found) != 2:
    sys.exit(f"{sys.argv[1]}: expected two blocks after a comment with '{marker}' (tokens, certificates), found {len(found)}")
for at in found:
    start = at + 1
    if not lines[start].startswith("```sh"):
        sys.exit(f"{sys.argv[1]}:{start + 1}: expected a ```sh block right after the marker")
    end = lines.index("```", start + 1)
    print("\n".join(lines[start + 1:end]))
PY
printf '#!/usr/bin/env bash\necho --- >> %q\nexec %q "$@" --dry-run=client -o yaml >> %q\n' "$doc_secret/secret.yaml" "$(cd "$(dirname "$kubectl")" && pwd)/kubectl" "$doc_secret/secret.yaml" > "$doc_secret/bin/kubectl"
chmod +x "$doc_secret/bin/kubectl"
if ! (cd "$doc_secret/run" && PATH="$doc_secret/bin:$PATH" bash -euo pipefail "$doc_secret/make.sh") > "$work/doc-secret.log" 2>&1; then
    echo "FAIL docs/install.md: the Secrets' commands failed" >&2; cat "$work/doc-secret.log" >&2; failures=$((failures + 1))
elif ! python3 - "$doc_secret/secret.yaml" "$doc_secret/data" "$doc_secret/run" <<'PY'
import base64, os, sys, yaml
docs = [d for d in yaml.safe_load_all(open(sys.argv[1])) if d]
problems = []
# What the rendered manifest mounts: each Secret's name and keys.
expected = {
    "rampart-tokens": {"tokens", "manager-token"},
    "rampart-firewall-tls": {"tls.crt", "tls.key", "ca.crt"},
    "rampart-manager-tls": {"tls.crt", "tls.key", "ca.crt"},
}
made = {}
for secret in docs:
    meta = secret.get("metadata", {})
    if secret.get("kind") != "Secret" or meta.get("namespace") != "kube-system":
        problems.append(f"the commands made a {secret.get('kind')} {meta.get('namespace')}/{meta.get('name')}; expected Secrets in kube-system")
        continue
    made[meta.get("name")] = secret
for name, keys in expected.items():
    secret = made.get(name)
    if secret is None:
        problems.append(f"no Secret kube-system/{name}; the rendered manifest mounts it (made: {sorted(made)})")
        continue
    data = secret.get("data") or {}
    if set(data) != keys:
        problems.append(f"the Secret {name} has the keys {sorted(data)}; expected {sorted(keys)}")
    if name.endswith("-tls") and secret.get("type") != "kubernetes.io/tls":
        problems.append(f"the Secret {name} is of type {secret.get('type')}; expected kubernetes.io/tls")
    os.makedirs(os.path.join(sys.argv[2], name), exist_ok=True)
    for key, value in data.items():
        with open(os.path.join(sys.argv[2], name, key), "wb") as f:
            f.write(base64.b64decode(value))
left = os.listdir(sys.argv[3])
if left:
    problems.append(f"the command leaves token files behind: {left}")
for problem in problems:
    print(problem, file=sys.stderr)
sys.exit(1 if problems else 0)
PY
then
    echo "FAIL docs/install.md: the Secrets' commands do not make what the manifest expects" >&2; failures=$((failures + 1))
else
    echo "ok   docs/install.md: kube-system/$(ls "$doc_secret/data" | paste -sd ' ')" >&2
fi

# The executables run as the pods do, uid/gid 65532, when this runs as root.
as_pod=()
if [[ $(id -u) == 0 ]] && command -v setpriv >/dev/null; then
    as_pod=(setpriv --reuid=65532 --regid=65532 --clear-groups)
    chmod 0711 "$work"
fi

# "rendered": the values of deploy/rendered/rampart.yaml (auth.createSecret=false), whose
# Secret docs/install.md's command makes.
cases=(default rendered)
for file in "$chart"/ci/*.yaml; do cases+=("$file"); done
for case in "${cases[@]}"; do
    name=$(basename "$case" .yaml)
    args=()
    case $case in
        default) ;;
        rendered) args=(--set auth.createSecret=false --set tls.createSecrets=false) ;;
        *) args=(-f "$case") ;;
    esac
    if ! "$helm" lint --strict "$chart" "${args[@]}" > "$work/lint.log" 2>&1; then
        echo "FAIL $name: helm lint" >&2; cat "$work/lint.log" >&2; failures=$((failures + 1)); continue
    fi
    if ! "$helm" template rampart "$chart" "${args[@]}" > "$work/$name.yaml" 2> "$work/template.log"; then
        echo "FAIL $name: helm template" >&2; cat "$work/template.log" >&2; failures=$((failures + 1)); continue
    fi
    # One file per object: CRD-typed objects apart, every other one validated strictly. The
    # configurations and the rendered Secrets' files are written out for the executables, and
    # what ties the objects together is checked here: the tokens and certificate Secrets'
    # volumes (readable by uid 65532 through fsGroup, by nobody else), the probe ports of the
    # configurations, the containers, the kubelet's probes, the Prometheus annotations, the
    # nodes' health URLs, and who authenticates the manager's pushes.
    if ! python3 - "$work/$name.yaml" "$work/$name" "$tokens_dir" "$tls_dir" "$webhook_dir" <<'PY'
import base64, json, os, subprocess, sys, tempfile, yaml
source, out, tokens_dir, tls_dir, webhook_dir = sys.argv[1:6]
os.makedirs(out + "/objects", exist_ok=True)
os.makedirs(out + "/configs", exist_ok=True)
problems = []
docs = [d for d in yaml.safe_load_all(open(source)) if d]
workloads = {}
# Secret volumes by name: "tokens" at tokens_dir, "tls" (each pod's certificate) at tls_dir,
# "webhook" (the manager's admission webhook certificate) at webhook_dir.
mount_dirs = {"tokens": tokens_dir, "tls": tls_dir, "webhook": webhook_dir}
secret_names = {}
tls_secrets = {}
for i, doc in enumerate(docs):
    kind, name = doc.get("kind"), doc.get("metadata", {}).get("name")
    if kind == "NetworkAttachmentDefinition":
        # A CRD (k8s.cni.cncf.io/v1): no schema among Kubernetes' own. Checked here.
        if doc.get("apiVersion") != "k8s.cni.cncf.io/v1" or set(doc) - {"apiVersion", "kind", "metadata", "spec"} or set(doc["spec"]) != {"config"}:
            problems.append(f"{kind} {name}: expected apiVersion k8s.cni.cncf.io/v1 and spec.config only")
            continue
        try:
            config = json.loads(doc["spec"]["config"])
        except ValueError as error:
            problems.append(f"{kind} {doc['metadata']['namespace']}/{name}: spec.config is not JSON: {error}")
            continue
        plugins = config.get("plugins") or []
        if len(plugins) < 2 or plugins[-1].get("type") != "rampart-cni" or not config.get("cniVersion"):
            problems.append(f"{kind} {name}: spec.config must be a conflist with a cniVersion, the primary, then rampart-cni")
        with open(f"{out}/configs/multus-entry.json", "w") as f:
            json.dump(plugins[-1], f)
        continue
    with open(f"{out}/objects/{i:02d}-{kind}-{name}.yaml", "w") as f:
        yaml.safe_dump(doc, f)
    if kind == "ConfigMap":
        for key, text in doc.get("data", {}).items():
            with open(f"{out}/configs/{key}", "w") as f:
                f.write(text)
    if kind == "Secret":
        os.makedirs(f"{out}/secrets/{name}", exist_ok=True)
        for key, value in (doc.get("data") or {}).items():
            with open(f"{out}/secrets/{name}/{key}", "wb") as f:
                f.write(base64.b64decode(value))
    if kind in ("Deployment", "StatefulSet", "DaemonSet"):
        workloads[doc["metadata"]["labels"]["app.kubernetes.io/component"]] = doc["spec"]["template"]

def port(address):
    return int(str(address).rsplit(":", 1)[1])

def spec_of(key):
    path = f"{out}/configs/{key}"
    return next(d for d in yaml.safe_load_all(open(path)) if d)["spec"] if os.path.exists(path) else None

# The Secrets' volumes: mode and owner as the kubelet makes them for a read-only volume with
# fsGroup (the files' group becomes fsGroup and g+r is added).
for component, template in workloads.items():
    pod = template["spec"]
    context = pod.get("securityContext") or {}
    for volume in pod.get("volumes", []):
        if "secret" not in volume:
            continue
        secret = volume["secret"]
        if volume["name"] not in mount_dirs:
            problems.append(f"{component}: a Secret volume '{volume['name']}'; expected only {sorted(mount_dirs)}")
            continue
        secret_names.setdefault(volume["name"], set()).add(secret["secretName"])
        if volume["name"] == "tls":
            tls_secrets[component] = secret["secretName"]
        mode = secret.get("defaultMode", 0o644)
        where = f"{component}: the Secret volume '{volume['name']}'"
        if mode & 0o007:
            problems.append(f"{where} has defaultMode {mode:o}: readable by every user, and the executables refuse it")
        if context.get("fsGroup") is None:
            problems.append(f"{where}: the pod has no fsGroup, so the files stay root's and uid {context.get('runAsUser')} cannot read them")
            continue
        effective = mode | 0o440
        for container in pod["containers"]:
            mounts = [m for m in container.get("volumeMounts", []) if m["name"] == volume["name"]]
            if not mounts:
                continue
            uid = (container.get("securityContext") or {}).get("runAsUser", context.get("runAsUser"))
            if not mounts[0].get("readOnly"):
                problems.append(f"{where} is mounted writable in {container['name']}")
            if uid != 0 and not effective & 0o040:
                problems.append(f"{where}: uid {uid} cannot read mode {effective:o}")
            if mounts[0]["mountPath"] != mount_dirs[volume["name"]]:
                problems.append(f"{where} is mounted at {mounts[0]['mountPath']}; the configurations read {mount_dirs[volume['name']]}")
if len(secret_names.get("tokens", ())) > 1:
    problems.append(f"more than one tokens Secret is mounted: {sorted(secret_names['tokens'])}")
with open(f"{out}/secret-name", "w") as f:
    f.write(next(iter(secret_names.get("tokens", ())), ""))
with open(f"{out}/tls-secrets.json", "w") as f:
    json.dump(tls_secrets, f)

# The admission webhook: its caBundle verifies the certificate the manager serves for the
# Service the configuration names, at the path of this cluster, on the port the manager listens.
for hook_config in (d for d in docs if d.get("kind") == "ValidatingWebhookConfiguration"):
    volumes = {v["name"]: v for v in workloads["manager"]["spec"].get("volumes", [])}
    secret_name = (volumes.get("webhook") or {}).get("secret", {}).get("secretName")
    with open(f"{out}/webhook-secret", "w") as f:
        f.write(secret_name or "")
    for hook in hook_config["webhooks"]:
        service = hook["clientConfig"]["service"]
        host = f"{service['name']}.{service['namespace']}.svc"
        services = [d for d in docs if d.get("kind") == "Service" and d["metadata"]["name"] == service["name"]]
        if not services or not any(p["port"] == service["port"] and p.get("targetPort") == "webhook" for p in services[0]["spec"]["ports"]):
            problems.append(f"webhook {hook['name']}: no Service {service['name']} with port {service['port']} → webhook")
        if not secret_name or not os.path.isdir(f"{out}/secrets/{secret_name}"):
            problems.append(f"webhook {hook['name']}: the manager mounts no webhook certificate Secret the chart renders")
            continue
        with tempfile.NamedTemporaryFile("wb", suffix=".crt") as bundle:
            bundle.write(base64.b64decode(hook["clientConfig"]["caBundle"]))
            bundle.flush()
            run = subprocess.run(["openssl", "verify", "-CAfile", bundle.name, "-purpose", "sslserver", "-verify_hostname", host,
                                  f"{out}/secrets/{secret_name}/tls.crt"], capture_output=True, text=True)
            if run.returncode != 0:
                problems.append(f"webhook {hook['name']}: the caBundle does not verify the manager's certificate for {host}: {run.stdout}{run.stderr}")
        manager = spec_of("manager.yaml") or {}
        admission = manager.get("admission") or {}
        if not service["path"].startswith("/admission/") or service["path"].split("/")[-1] not in [c["name"] for c in manager.get("clusters", [])]:
            problems.append(f"webhook {hook['name']}: path {service['path']} is not /admission/CLUSTER of a configured cluster")
        ports = [p for p in workloads["manager"]["spec"]["containers"][0].get("ports", []) if p["name"] == "webhook"]
        if not admission or not ports or int(str(admission.get("listen")).rsplit(":", 1)[1]) != ports[0]["containerPort"]:
            problems.append(f"webhook {hook['name']}: the manager's spec.admission.listen and its container port 'webhook' disagree")
        values = next((e["values"] for e in hook["namespaceSelector"]["matchExpressions"] if e["key"] == "kubernetes.io/metadata.name" and e["operator"] == "NotIn"), [])
        for required in ("kube-system", service["namespace"]):
            if required not in values:
                problems.append(f"webhook {hook['name']}: namespace {required} is not excluded: the webhook could lock the cluster")

def check_probes(component, probes_address):
    """The pod's probes and Prometheus annotations point at the configuration's probe listener."""
    template = workloads[component]
    container = template["spec"]["containers"][0]
    ports = {p["name"]: p["containerPort"] for p in container.get("ports", [])}
    where = f"{component}"
    if not str(probes_address).startswith("0.0.0.0:"):
        problems.append(f"{where}: the probe listener is {probes_address}; the kubelet reaches only the pod's address")
    if ports.get("probes") != port(probes_address):
        problems.append(f"{where}: containerPort 'probes' is {ports.get('probes')}, the configuration's probe listener {probes_address}")
    for probe in ("livenessProbe", "readinessProbe"):
        target = ((container.get(probe) or {}).get("httpGet") or {}).get("port")
        if target != "probes":
            problems.append(f"{where}: {probe} goes to port {target}, not the probe listener (the admin port asks for a token)")
    annotations = template["metadata"].get("annotations") or {}
    if annotations.get("prometheus.io/scrape") == "true" and annotations.get("prometheus.io/port") != str(port(probes_address)):
        problems.append(f"{where}: prometheus.io/port is {annotations.get('prometheus.io/port')}, the probe listener {probes_address}")

def tls_paths(component, block, keys):
    """The files of a tls block come from the pod's certificate Secret."""
    if component not in tls_secrets:
        problems.append(f"{component}: its configuration has a tls block but the pod mounts no certificate Secret")
    for key in keys:
        if not str(block.get(key, "")).startswith(tls_dir + "/"):
            problems.append(f"{component}: tls {key} is '{block.get(key)}', not in the certificate Secret's folder {tls_dir}")

firewall, manager, node = spec_of("firewall.yaml"), spec_of("manager.yaml"), spec_of("node.yaml")
tag_writers = []
if firewall is not None:
    check_probes("firewall", firewall.get("probes"))
    tokens_file = (firewall.get("auth") or {}).get("tokensFile", "")
    if not tokens_file.startswith(tokens_dir + "/"):
        problems.append(f"firewall: spec.auth.tokensFile is '{tokens_file}', not in the Secret's folder {tokens_dir}")
    if "tls" in firewall:
        tls_paths("firewall", firewall["tls"], ["certificate", "key", "clientCA"])
        for identity, roles in (firewall["tls"].get("clientRoles") or {}).items():
            if "tag-writer" in (roles if isinstance(roles, list) else str(roles).split(",")):
                tag_writers.append(identity)
    probe_port = port(firewall["probes"])
    for entry in node["firewalls"]:
        health = entry.get("admin") if isinstance(entry, dict) else None
        if health is None or port(health) != probe_port:
            problems.append(f"node: the health URL of firewall {entry} is not the firewall's probe port {probe_port}")
if manager is not None:
    check_probes("manager", manager.get("probes"))
    listen = manager["listen"]
    if not listen.startswith("127.0.0.1:") and not (manager.get("auth") or {}).get("tokensFile", "").startswith(tokens_dir + "/"):
        problems.append(f"manager: spec.listen {listen} is off loopback without a tokens file from the Secret")
    if "tls" in manager:
        tls_paths("manager", manager["tls"], ["certificate", "key", "clientCA"])
    for target in manager.get("firewalls") or []:
        if str(target.get("tokenFile", "")).startswith(tokens_dir + "/"):
            continue
        client = target.get("tls") or manager.get("firewallTLS") or {}
        if str(target.get("admin", "")).startswith("https://") and client.get("certificate") and tag_writers:
            tls_paths("manager", client, ["ca", "certificate", "key"])
            continue
        problems.append(f"manager: firewall {target.get('name')} has neither a tokenFile from the Secret nor a client certificate a tag-writer identity of the firewall's spec.tls.clientRoles may have: its pushes would get 401")
with open(f"{out}/tag-writers.json", "w") as f:
    json.dump(tag_writers, f)
for problem in problems:
    print(problem, file=sys.stderr)
sys.exit(1 if problems else 0)
PY
    then
        echo "FAIL $name: the rendered objects do not fit together" >&2; failures=$((failures + 1)); continue
    fi
    if ! kubernetes-validate --strict -k "$kube_version" --quiet "$work/$name"/objects/*.yaml > "$work/validate.log" 2>&1; then
        echo "FAIL $name: kubernetes-validate" >&2; cat "$work/validate.log" >&2; failures=$((failures + 1)); continue
    fi
    count=$(ls "$work/$name/objects" | wc -l)
    echo "ok   $name: lint, template, $count objects valid against Kubernetes $kube_version; Secret volume, probes, ports agree" >&2

    # The configuration files, read by the programs that will read them in the cluster.
    [[ -n $bin ]] || continue
    configs=$work/$name/configs
    failures_before=$failures
    # The tokens Secret's files as a pod sees them: mode 0440, group 65532 (fsGroup); the
    # chart's own Secret, or else the one docs/install.md's command makes (under the name
    # the chart expects: auth.existingSecret takes the same keys).
    secret_name=$(cat "$work/$name/secret-name")
    tokens=$work/$name/tokens
    mkdir -p "$tokens"
    if [[ -n $secret_name ]]; then
        if [[ -d $work/$name/secrets/$secret_name ]]; then
            secret_from="the chart's Secret $secret_name"
            cp "$work/$name/secrets/$secret_name"/* "$tokens"/
        else
            secret_from="docs/install.md's Secret as $secret_name"
            if [[ $case == rendered && $secret_name != rampart-tokens ]]; then
                echo "FAIL $name: the manifest mounts the Secret $secret_name; docs/install.md makes rampart-tokens" >&2; failures=$((failures + 1))
            fi
            cp "$doc_secret/data/rampart-tokens"/* "$tokens"/ 2>/dev/null || { echo "FAIL $name: no Secret from docs/install.md to use" >&2; failures=$((failures + 1)); }
        fi
        chmod 0440 "$tokens"/* 2>/dev/null || true
        chmod 0755 "$work/$name" "$tokens" "$configs"
        if ((${#as_pod[@]})); then chgrp 65532 "$tokens"/* 2>/dev/null || true; fi
        # The manager's token must be on a tag-writer line of the firewall's file, or every
        # push gets 401; NOTES.txt points people at the read-only line named "operator".
        if ! python3 - "$tokens" <<'PY'
import os, sys
folder = sys.argv[1]
try:
    lines = [l.split("#", 1)[0].split() for l in open(f"{folder}/tokens").read().splitlines()]
    manager = open(f"{folder}/manager-token").read().split("\n", 1)[0].strip()
except OSError as error:
    sys.exit(f"the Secret lacks a key: {error}")
entries = [l for l in lines if l]
if not any("tag-writer" in l[0].split(",") and l[2] == manager for l in entries if len(l) == 3):
    sys.exit("manager-token is not the token of a tag-writer line of tokens: the manager's pushes would get 401")
if not any(l[0] == "read-only" and l[1] == "operator" for l in entries if len(l) == 3):
    sys.exit("tokens has no read-only line named operator (NOTES.txt tells people to use it)")
PY
        then
            echo "FAIL $name: the tokens of $secret_from do not fit together" >&2; failures=$((failures + 1))
        fi
    else
        secret_from="no Secret"
    fi
    # The certificate Secrets' files as each pod sees them (mode 0440, group 65532): the
    # chart's own, else the ones docs/install.md's commands make for that component.
    declare -A tls_folder=()
    while read -r component tls_secret; do
        [[ -n $component ]] || continue
        folder=$work/$name/tls-$component
        mkdir -p "$folder"
        if [[ -d $work/$name/secrets/$tls_secret ]]; then
            secret_from+=", $component certificate from the chart's Secret $tls_secret"
            cp "$work/$name/secrets/$tls_secret"/* "$folder"/
        else
            if [[ $case == rendered && $tls_secret != rampart-$component-tls ]]; then
                echo "FAIL $name: the manifest mounts the Secret $tls_secret; docs/install.md makes rampart-$component-tls" >&2; failures=$((failures + 1))
            fi
            secret_from+=", $component certificate from docs/install.md's Secret"
            cp "$doc_secret/data/rampart-$component-tls"/* "$folder"/ 2>/dev/null || { echo "FAIL $name: no certificate Secret from docs/install.md to use" >&2; failures=$((failures + 1)); }
        fi
        chmod 0440 "$folder"/* 2>/dev/null || true
        chmod 0755 "$folder"
        if ((${#as_pod[@]})); then chgrp 65532 "$folder"/* 2>/dev/null || true; fi
        tls_folder[$component]=$folder
    done < <(python3 -c 'import json, sys; [print(c, n) for c, n in json.load(open(sys.argv[1])).items()]' "$work/$name/tls-secrets.json")
    # The two certificates fit together: the firewall's verifies with the manager's CA for
    # every address the manager pushes to over TLS; the manager's verifies with the
    # firewall's client CA, under an identity the firewall's clientRoles make a tag-writer.
    if [[ -n ${tls_folder[firewall]:-} && -n ${tls_folder[manager]:-} ]] && ! python3 - "${tls_folder[firewall]}" "${tls_folder[manager]}" "$configs/manager.yaml" "$work/$name/tag-writers.json" <<'PY'
import json, subprocess, sys, yaml
firewall, manager, config, writers = sys.argv[1:5]
spec = next(d for d in yaml.safe_load_all(open(config)) if d)["spec"]
problems = []
def openssl(*args):
    result = subprocess.run(["openssl", *args], capture_output=True, text=True)
    return result.returncode, (result.stdout + result.stderr).strip()
code, text = openssl("verify", "-CAfile", f"{manager}/ca.crt", "-purpose", "sslserver", f"{firewall}/tls.crt")
if code != 0:
    problems.append(f"the firewall's certificate does not verify with the manager's CA as a server: {text}")
for target in spec.get("firewalls") or []:
    admin = str(target.get("admin", ""))
    if not admin.startswith("https://") or target.get("tokenFile"):
        continue
    host = admin[len("https://"):].rsplit(":", 1)[0].strip("[]")
    check = "-checkip" if host.replace(".", "").isdigit() or ":" in host else "-checkhost"
    code, text = openssl("x509", "-in", f"{firewall}/tls.crt", "-noout", check, host)
    if "does match" not in text:
        problems.append(f"the firewall's certificate does not name {host}, where the manager pushes ({target.get('name')}): {text}")
code, text = openssl("verify", "-CAfile", f"{firewall}/ca.crt", "-purpose", "sslclient", f"{manager}/tls.crt")
if code != 0:
    problems.append(f"the manager's certificate does not verify with the firewall's client CA as a client: {text}")
code, subject = openssl("x509", "-in", f"{manager}/tls.crt", "-noout", "-subject", "-nameopt", "RFC2253")
identity = next((part[3:] for part in subject.removeprefix("subject=").split(",") if part.startswith("CN=")), None)
if identity not in json.load(open(writers)):
    problems.append(f"the manager's certificate is {subject}; the firewall's clientRoles make {json.load(open(writers))} tag-writers")
for problem in problems:
    print(problem, file=sys.stderr)
sys.exit(1 if problems else 0)
PY
    then
        echo "FAIL $name: the firewall's and the manager's certificates do not fit together" >&2; failures=$((failures + 1))
    fi
    if [[ -f $configs/firewall.yaml ]]; then
        sed -e "s#$tokens_dir/#$tokens/#g" -e "s#$tls_dir/#${tls_folder[firewall]:-$tls_dir}/#g" "$configs/firewall.yaml" > "$configs/firewall-check.yaml"
        if ! "${as_pod[@]}" "$bin/rampart-firewall" --config "$configs/firewall-check.yaml" --check > "$work/fw.log" 2>&1; then
            echo "FAIL $name: rampart-firewall --check refused firewall.yaml" >&2; cat "$work/fw.log" >&2; failures=$((failures + 1))
        fi
        # Self-test: the same configuration with a world-readable tokens file must be refused,
        # or --check never read the file.
        mkdir -p "$work/$name/open-tokens" && cp "$tokens/tokens" "$work/$name/open-tokens/" && chmod 0644 "$work/$name/open-tokens/tokens"
        sed "s#$tokens_dir/#$work/$name/open-tokens/#g" "$configs/firewall.yaml" > "$configs/firewall-open.yaml"
        if "$bin/rampart-firewall" --config "$configs/firewall-open.yaml" --check > "$work/fw-open.log" 2>&1 || ! grep -q 'readable by every user' "$work/fw-open.log"; then
            echo "FAIL $name: rampart-firewall --check did not refuse a world-readable tokens file" >&2; cat "$work/fw-open.log" >&2; failures=$((failures + 1))
        fi
        # Self-test: a world-readable private key must be refused too, or --check never read it.
        if [[ -n ${tls_folder[firewall]:-} ]]; then
            mkdir -p "$work/$name/open-tls" && cp "${tls_folder[firewall]}"/* "$work/$name/open-tls/" && chmod 0644 "$work/$name/open-tls/tls.key"
            sed -e "s#$tokens_dir/#$tokens/#g" -e "s#$tls_dir/#$work/$name/open-tls/#g" "$configs/firewall.yaml" > "$configs/firewall-open-key.yaml"
            if "$bin/rampart-firewall" --config "$configs/firewall-open-key.yaml" --check > "$work/fw-open-key.log" 2>&1 || ! grep -q 'readable by every user' "$work/fw-open-key.log"; then
                echo "FAIL $name: rampart-firewall --check did not refuse a world-readable private key" >&2; cat "$work/fw-open-key.log" >&2; failures=$((failures + 1))
            fi
        fi
    fi
    if [[ -f $configs/manager.yaml ]]; then
        # inCluster reads the pod's service-account files, which exist only in a pod: a
        # kubeconfig stands in for them here, everything else is checked as written.
        printf 'apiVersion: v1\nkind: Config\nclusters: [{name: c, cluster: {server: "https://10.96.0.1:443", insecure-skip-tls-verify: true}}]\nusers: [{name: u, user: {token: t}}]\ncontexts: [{name: c, context: {cluster: c, user: u}}]\ncurrent-context: c\n' > "$configs/in-cluster.kubeconfig"
        # The webhook's certificate from the chart's own Secret, as the pod sees it.
        webhook_folder=$webhook_dir
        if [[ -s $work/$name/webhook-secret ]]; then
            webhook_folder=$work/$name/webhook-$(cat "$work/$name/webhook-secret")
            mkdir -p "$webhook_folder" && cp "$work/$name/secrets/$(cat "$work/$name/webhook-secret")"/tls.* "$webhook_folder"/
            chmod 0440 "$webhook_folder"/* && chmod 0755 "$webhook_folder"
            if ((${#as_pod[@]})); then chgrp 65532 "$webhook_folder"/*; fi
        fi
        sed -e 's/inCluster: true/kubeconfig: in-cluster.kubeconfig/' -e "s#$tokens_dir/#$tokens/#g" -e "s#$tls_dir/#${tls_folder[manager]:-$tls_dir}/#g" \
            -e "s#$webhook_dir/#$webhook_folder/#g" "$configs/manager.yaml" > "$configs/manager-check.yaml"
        grep -q 'kubeconfig: in-cluster.kubeconfig' "$configs/manager-check.yaml" || { echo "FAIL $name: manager.yaml has no inCluster cluster" >&2; failures=$((failures + 1)); }
        if ! "${as_pod[@]}" "$bin/rampart-manager" validate --config "$configs/manager-check.yaml" > "$work/mgr.log" 2>&1; then
            echo "FAIL $name: rampart-manager validate refused manager.yaml" >&2; cat "$work/mgr.log" >&2; failures=$((failures + 1))
        fi
        # Self-test: with an empty manager-token, validate must fail, or it never read it.
        if grep -q "tokenFile: $tokens_dir/manager-token" "$configs/manager.yaml"; then
            mkdir -p "$work/$name/empty-token" && cp "$tokens"/* "$work/$name/empty-token/" && : > "$work/$name/empty-token/manager-token"
            sed -e 's/inCluster: true/kubeconfig: in-cluster.kubeconfig/' -e "s#$tokens_dir/#$work/$name/empty-token/#g" -e "s#$tls_dir/#${tls_folder[manager]:-$tls_dir}/#g" "$configs/manager.yaml" > "$configs/manager-empty.yaml"
            if "$bin/rampart-manager" validate --config "$configs/manager-empty.yaml" > "$work/mgr-empty.log" 2>&1 || ! grep -q 'tokenFile' "$work/mgr-empty.log"; then
                echo "FAIL $name: rampart-manager validate did not refuse an empty manager-token" >&2; cat "$work/mgr-empty.log" >&2; failures=$((failures + 1))
            fi
        fi
        # Self-test: with an empty client certificate, validate must fail, or it never read it.
        if [[ -n ${tls_folder[manager]:-} ]] && grep -q "firewallTLS:" "$configs/manager.yaml"; then
            mkdir -p "$work/$name/empty-tls" && cp "${tls_folder[manager]}"/* "$work/$name/empty-tls/" && chmod 0600 "$work/$name/empty-tls"/* && : > "$work/$name/empty-tls/tls.crt"
            sed -e 's/inCluster: true/kubeconfig: in-cluster.kubeconfig/' -e "s#$tokens_dir/#$tokens/#g" -e "s#$tls_dir/#$work/$name/empty-tls/#g" "$configs/manager.yaml" > "$configs/manager-empty-tls.yaml"
            if "$bin/rampart-manager" validate --config "$configs/manager-empty-tls.yaml" > "$work/mgr-empty-tls.log" 2>&1 || ! grep -q 'client certificate' "$work/mgr-empty-tls.log"; then
                echo "FAIL $name: rampart-manager validate did not refuse an empty client certificate" >&2; cat "$work/mgr-empty-tls.log" >&2; failures=$((failures + 1))
            fi
        fi
    fi
    # The agent reads node.yaml and chains rampart-cni into a scratch primary conflist.
    mkdir -p "$work/$name/cni-bin" "$work/$name/cni-conf"
    printf '{"cniVersion": "1.0.0", "name": "k8s", "plugins": [{"type": "ptp", "ipam": {"type": "host-local", "subnet": "10.244.1.0/24"}}]}\n' > "$work/$name/cni-conf/10-ptp.conflist"
    if ! "$bin/rampart-node" install --config "$configs/node.yaml" --bin-dir "$work/$name/cni-bin" --conf-dir "$work/$name/cni-conf" \
            --plugin-binary "$bin/rampart-cni" > "$work/node.log" 2>&1; then
        echo "FAIL $name: rampart-node refused node.yaml" >&2; cat "$work/node.log" >&2; failures=$((failures + 1)); continue
    fi
    if [[ -f $configs/multus-entry.json ]] && ! python3 - "$work/$name/cni-conf/10-ptp.conflist" "$configs/multus-entry.json" <<'PY'
import json, sys
agent = json.load(open(sys.argv[1]))["plugins"][-1]
multus = json.load(open(sys.argv[2]))
if agent != multus:
    print(f"the agent writes {json.dumps(agent, sort_keys=True)}\nthe Multus attachment has {json.dumps(multus, sort_keys=True)}", file=sys.stderr)
    sys.exit(1)
PY
    then
        echo "FAIL $name: the Multus attachment's rampart-cni entry differs from the agent's" >&2; failures=$((failures + 1)); continue
    fi
    ((failures == failures_before)) || continue
    echo "ok   $name: firewall.yaml, manager.yaml, node.yaml accepted by $bin's executables${as_pod:+ (as uid 65532)}, tokens from $secret_from" >&2
done
if [[ -z $bin ]]; then
    echo "SKIPPED: the configuration files were not checked by Rampart's executables (none built; swift build first)" >&2
fi

echo "== bad values files, each refused with its expected message" >&2
bad_count=0
for file in deploy/helm/tests/bad/*.yaml; do
    bad_count=$((bad_count + 1))
    expect=$(sed -n 's/^# expect: //p' "$file" | head -n 1)
    if [[ -z $expect ]]; then
        echo "FAIL $file: no '# expect: MESSAGE' line at its top" >&2; failures=$((failures + 1)); continue
    fi
    if "$helm" template rampart "$chart" -f "$file" > /dev/null 2> "$work/bad.log"; then
        echo "FAIL $file: accepted, expected a refusal with: $expect" >&2; failures=$((failures + 1)); continue
    fi
    if ! grep -qF -- "$expect" "$work/bad.log"; then
        echo "FAIL $file: refused, but without '$expect':" >&2; cat "$work/bad.log" >&2; failures=$((failures + 1)); continue
    fi
    echo "ok   $(basename "$file"): $expect" >&2
done
((bad_count > 0)) || { echo "FAIL: no bad values files under deploy/helm/tests/bad" >&2; failures=$((failures + 1)); }

echo "== deploy/rendered matches the chart" >&2
for variant in default remove-plugin; do
    target=$rendered
    [[ $variant == default ]] || target=$rendered_remove
    render_default "$variant" > "$work/rendered.yaml"
    if ! diff -u "$target" "$work/rendered.yaml" > "$work/rendered.diff" 2>&1; then
        head -n 40 "$work/rendered.diff" >&2
        echo "FAIL $target differs from the chart; run scripts/check-chart.sh --update and commit it" >&2
        failures=$((failures + 1))
    elif grep -q '^kind: Secret$' "$target"; then
        echo "FAIL $target holds a Secret: tokens in a file anyone can read; render it with auth.createSecret=false" >&2
        failures=$((failures + 1))
    else
        echo "ok   $target (no Secret: docs/install.md's command makes it)" >&2
    fi
done

if ((failures > 0)); then
    echo "check-chart: $failures failure(s)" >&2
    exit 1
fi
echo "check-chart: ok (${#cases[@]} values sets, $bad_count bad values files refused)" >&2

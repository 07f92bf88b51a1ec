{{/*
Shared pieces of Rampart's templates. Every object's name starts with the release name
unless the release is called "rampart" (then "rampart-node", "rampart-firewall", ...).
*/}}

{{- define "rampart.fullname" -}}
{{- if eq .Release.Name .Chart.Name -}}
{{- .Chart.Name -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name .Chart.Name | trunc 50 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}

{{/* The name of one component's objects: (dict "root" $ "component" "node") */}}
{{- define "rampart.componentName" -}}
{{- printf "%s-%s" (include "rampart.fullname" .root) .component -}}
{{- end -}}

{{/* Labels of every object; pass (dict "root" $ "component" "node"). */}}
{{- define "rampart.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .root.Chart.Name .root.Chart.Version }}
{{ include "rampart.selectorLabels" . }}
app.kubernetes.io/version: {{ .root.Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .root.Release.Service }}
app.kubernetes.io/part-of: rampart
{{- with .root.Values.commonLabels }}
{{ toYaml . }}
{{- end }}
{{- end -}}

{{/* The labels a component's selector matches. */}}
{{- define "rampart.selectorLabels" -}}
app.kubernetes.io/name: {{ .root.Chart.Name }}
app.kubernetes.io/instance: {{ .root.Release.Name }}
app.kubernetes.io/component: {{ .component }}
{{- end -}}

{{/* metadata: of a namespaced object: (dict "root" $ "component" "node" "name" NAME) */}}
{{- define "rampart.metadata" -}}
metadata:
  name: {{ .name | default (include "rampart.componentName" .) }}
  namespace: {{ .root.Values.namespace }}
  labels:
    {{- include "rampart.labels" . | nindent 4 }}
{{- end -}}

{{/* metadata: of a cluster-scoped object. */}}
{{- define "rampart.clusterMetadata" -}}
metadata:
  name: {{ .name | default (include "rampart.componentName" .) }}
  labels:
    {{- include "rampart.labels" . | nindent 4 }}
{{- end -}}

{{/* An image reference: (dict "root" $ "image" "rampart-node") */}}
{{- define "rampart.image" -}}
{{- $images := .root.Values.images -}}
{{- printf "%s/%s:%s" (trimSuffix "/" $images.registry) .image ($images.tag | default .root.Chart.AppVersion) -}}
{{- end -}}

{{/* The node image: cniimage (the commercial chart's key) wins. */}}
{{- define "rampart.nodeImage" -}}
{{- .Values.cniimage | default (include "rampart.image" (dict "root" . "image" .Values.images.node)) -}}
{{- end -}}

{{/* endpoints (one address, as the commercial chart takes it, or a list) as a JSON list. */}}
{{- define "rampart.endpoints" -}}
{{- $value := .Values.endpoints -}}
{{- if kindIs "string" $value -}}
{{- if $value }}{{ toJson (list $value) }}{{ else }}[]{{ end -}}
{{- else -}}
{{- toJson ($value | default list) -}}
{{- end -}}
{{- end -}}

{{/* "external" or "incluster", with "auto" resolved. */}}
{{- define "rampart.firewallMode" -}}
{{- if eq .Values.firewall.mode "auto" -}}
{{- if include "rampart.endpoints" . | fromJsonArray }}external{{ else }}incluster{{ end -}}
{{- else -}}
{{- .Values.firewall.mode -}}
{{- end -}}
{{- end -}}

{{/*
The firewalls, as JSON: [{"name", "address", "admin", "health", "mtls"}]. admin is the admin
API the manager pushes tags to (http://, or https:// over TLS), "" when none is reachable;
health is the probe listener the nodes health-check (no token), "" when none is reachable;
mtls is true for the chart's own firewalls over mutual TLS, which know the manager by its
certificate (no token sent), false for the others, which get its tag-writer token.
*/}}
{{- define "rampart.firewalls" -}}
{{- $list := list -}}
{{- if eq (include "rampart.firewallMode" .) "external" -}}
{{- $adminPort := int .Values.firewall.external.adminPort -}}
{{- $probePort := int .Values.firewall.external.probePort -}}
{{- $scheme := ternary "https" "http" .Values.firewall.external.tls -}}
{{- if and (eq $probePort 0) (gt $adminPort 0) }}{{ $probePort = add $adminPort 1 | int }}{{ end -}}
{{- range $i, $address := include "rampart.endpoints" . | fromJsonArray -}}
{{- $admin := "" -}}
{{- $health := "" -}}
{{- if gt $adminPort 0 }}{{ $admin = printf "%s://%s:%d" $scheme (include "rampart.urlHost" $address) $adminPort }}{{ end -}}
{{- if gt $probePort 0 }}{{ $health = printf "http://%s:%d" (include "rampart.urlHost" $address) $probePort }}{{ end -}}
{{- $list = append $list (dict "name" (printf "fw-%d" $i) "address" $address "admin" $admin "health" $health "mtls" false) -}}
{{- end -}}
{{- else -}}
{{- $tls := .Values.tls.enabled -}}
{{- range $i, $address := .Values.firewall.incluster.serviceIPs -}}
{{- $admin := printf "%s://%s:%d" (ternary "https" "http" $tls) (include "rampart.urlHost" $address) (int $.Values.firewall.incluster.adminPort) -}}
{{- $health := printf "http://%s:%d" (include "rampart.urlHost" $address) (int $.Values.firewall.incluster.probePort) -}}
{{- $list = append $list (dict "name" (printf "fw-%d" $i) "address" $address "admin" $admin "health" $health "mtls" $tls) -}}
{{- end -}}
{{- end -}}
{{- toJson $list -}}
{{- end -}}

{{/*
The Secret holding the tokens (docs/install.md, "The token Secret"): auth.existingSecret,
else "<fullname>-tokens", which the chart creates (auth.createSecret) or you do. Keys:
  tokens         the firewall's spec.auth.tokensFile: lines "ROLE NAME TOKEN", among them
                 "tag-writer manager TOKEN" and "read-only operator TOKEN"
  manager-token  the manager's tag-writer token alone (its spec.firewalls[].tokenFile)
*/}}
{{- define "rampart.tokensSecret" -}}
{{- .Values.auth.existingSecret | default (printf "%s-tokens" (include "rampart.fullname" .)) -}}
{{- end -}}

{{/* Where the pods mount that Secret (read only, mode 0440, group 65532). */}}
{{- define "rampart.tokensDir" -}}
/var/run/secrets/rampart
{{- end -}}

{{/*
The volume of that Secret: (dict "root" $ "keys" (list "tokens")); no keys: every key.
defaultMode 0440 with the pod's fsGroup 65532: the kubelet gives the files to group 65532
(and would add g+r to 0400 as well), so uid 65532 in group 65532 reads them and nobody else
can; the firewall and the manager refuse a tokens file readable by every user.
*/}}
{{- define "rampart.tokensVolume" -}}
- name: tokens
  secret:
    secretName: {{ include "rampart.tokensSecret" .root }}
    defaultMode: 0440
    {{- with .keys }}
    items:
      {{- range . }}
      - {key: {{ . }}, path: {{ . }}}
      {{- end }}
    {{- end }}
{{- end -}}

{{/*
The annotations of the firewall's and the manager's pods, as YAML lines:
(dict "root" $ "port" 9681). rampart.io/inspect: bypass always (their own traffic is never
steered); then podAnnotations; then Prometheus' scrape annotations for the probe port,
which podAnnotations may override (prometheus.io/scrape: "false").
*/}}
{{- define "rampart.podAnnotations" -}}
{{- $prometheus := dict "prometheus.io/scrape" "true" "prometheus.io/port" (toString .port) "prometheus.io/path" "/metrics" -}}
{{- toYaml (merge (dict "rampart.io/inspect" "bypass") (deepCopy (.root.Values.podAnnotations | default dict)) $prometheus) -}}
{{- end -}}

{{/* An address as a URL's host: IPv6 in brackets. */}}
{{- define "rampart.urlHost" -}}
{{- if contains ":" . }}[{{ . }}]{{ else }}{{ . }}{{ end -}}
{{- end -}}

{{/* fwtrustcidr (a string or a list) as a list. */}}
{{- define "rampart.trustCIDRs" -}}
{{- $value := .Values.fwtrustcidr -}}
{{- if kindIs "string" $value -}}
{{- if $value }}{{ toJson (list $value) }}{{ else }}[]{{ end -}}
{{- else -}}
{{- toJson ($value | default list) -}}
{{- end -}}
{{- end -}}

{{/*
The rampart-cni entry, as the node agent writes it into the primary's conflist
(NodeConfiguration.pluginEntry): the Multus attachment repeats it.
*/}}
{{- define "rampart.pluginEntry" -}}
{{- $firewalls := include "rampart.firewalls" . | fromJsonArray -}}
{{- $addresses := list -}}
{{- range $firewalls }}{{ $addresses = append $addresses .address }}{{ end -}}
{{- $entry := dict "type" "rampart-cni" "firewallEndpoints" $addresses "vni" (int .Values.clusterid) "port" (int .Values.firewall.port) "agentSocket" "/run/rampart/node.sock" "failMode" .Values.node.failMode "tunnelDevice" "rampart0" "table" 6080 "rulePriority" 6000 "logFile" "/var/log/rampart/cni.log" "stateDir" "/var/lib/cni/rampart" -}}
{{- $trust := include "rampart.trustCIDRs" . | fromJsonArray -}}
{{- if $trust }}{{ $_ := set $entry "trustCIDRs" $trust }}{{ end -}}
{{- toJson $entry -}}
{{- end -}}

{{/* imagePullSecrets of a pod spec, on one line, or nothing. */}}
{{- define "rampart.pullSecrets" -}}
{{- $secrets := list -}}
{{- range .Values.images.pullSecrets }}{{ $secrets = append $secrets (dict "name" .) }}{{ end -}}
{{- if $secrets }}imagePullSecrets: {{ toJson $secrets }}{{ end -}}
{{- end -}}

{{/* The securityContext of the firewall's and the manager's containers: uid 65532, nothing else. */}}
{{- define "rampart.restrictedContainer" -}}
securityContext:
  runAsNonRoot: true
  runAsUser: 65532
  runAsGroup: 65532
  allowPrivilegeEscalation: false
  readOnlyRootFilesystem: true
  capabilities:
    drop: [ALL]
  seccompProfile:
    type: RuntimeDefault
{{- end -}}

{{/*
Mutual TLS of the control connections (docs/install.md, "TLS certificates"): "true" when
the chart's firewall (mode incluster) serves its admin API over TLS and the manager pushes
to it with a client certificate, else "".
*/}}
{{- define "rampart.tlsEnabled" -}}
{{- if and .Values.tls.enabled (eq (include "rampart.firewallMode" .) "incluster") }}true{{ end -}}
{{- end -}}

{{/*
The Secrets holding the certificates, each kubernetes.io/tls-shaped (keys tls.crt, tls.key,
ca.crt, as cert-manager writes them): the firewall's server certificate (its ca.crt: the CA
that signs client certificates), and the manager's certificate (client of the firewalls,
server of its API with exposeAPI; its ca.crt: the CA that signs the firewalls'). Your own
(tls.firewallSecret, tls.managerSecret), else "<fullname>-firewall-tls" and
"<fullname>-manager-tls", which the chart makes (tls.createSecrets) or you do.
*/}}
{{- define "rampart.firewallTLSSecret" -}}
{{- .Values.tls.firewallSecret | default (printf "%s-firewall-tls" (include "rampart.fullname" .)) -}}
{{- end -}}
{{- define "rampart.managerTLSSecret" -}}
{{- .Values.tls.managerSecret | default (printf "%s-manager-tls" (include "rampart.fullname" .)) -}}
{{- end -}}

{{/* Where the pods mount their certificate Secret (read only, mode 0440, group 65532). */}}
{{- define "rampart.tlsDir" -}}
/var/run/secrets/rampart-tls
{{- end -}}

{{/*
The volume of a certificate Secret: (dict "root" $ "secret" NAME). Mode 0440 with the pod's
fsGroup, like the tokens: the daemons refuse a private key every user can read.
*/}}
{{- define "rampart.tlsVolume" -}}
- name: tls
  secret:
    secretName: {{ .secret }}
    defaultMode: 0440
    items:
      - {key: tls.crt, path: tls.crt}
      - {key: tls.key, path: tls.key}
      - {key: ca.crt, path: ca.crt}
{{- end -}}

{{/* The DNS names of the chart's firewall replicas and their Services, for its certificate. */}}
{{- define "rampart.firewallDNSNames" -}}
{{- $name := include "rampart.componentName" (dict "root" . "component" "firewall") -}}
{{- $ns := .Values.namespace -}}
{{- $names := list -}}
{{- range $i, $_ := .Values.firewall.incluster.serviceIPs -}}
{{- $replica := printf "%s-%d" $name $i -}}
{{- $names = concat $names (list $replica (printf "%s.%s" $replica $ns) (printf "%s.%s.svc" $replica $ns) (printf "%s.%s.%s.svc" $replica $name $ns)) -}}
{{- end -}}
{{- toJson $names -}}
{{- end -}}

{{/* The admission webhook (docs/image-trust.md): its Service, certificate Secret, where the
manager mounts it, and the namespaces never sent to it (this release's, kube-system, and
manager.admissionWebhook.excludeNamespaces). */}}
{{- define "rampart.webhookService" -}}
{{- include "rampart.componentName" (dict "root" . "component" "manager-webhook") -}}
{{- end -}}
{{- define "rampart.webhookSecret" -}}
{{- printf "%s-tls" (include "rampart.webhookService" .) -}}
{{- end -}}
{{- define "rampart.webhookDir" -}}
/var/run/secrets/rampart-webhook
{{- end -}}
{{- define "rampart.webhookExempt" -}}
{{- concat (list .Values.namespace "kube-system") .Values.manager.admissionWebhook.excludeNamespaces | uniq | toJson -}}
{{- end -}}

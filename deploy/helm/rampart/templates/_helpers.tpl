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
The firewalls, as JSON: [{"name", "address", "admin"}] with admin "" when none is
reachable. Nodes tunnel to the addresses; the manager pushes to the admin URLs.
*/}}
{{- define "rampart.firewalls" -}}
{{- $list := list -}}
{{- if eq (include "rampart.firewallMode" .) "external" -}}
{{- range $i, $address := include "rampart.endpoints" . | fromJsonArray -}}
{{- $admin := "" -}}
{{- if gt (int $.Values.firewall.external.adminPort) 0 -}}
{{- $admin = printf "http://%s:%d" (include "rampart.urlHost" $address) (int $.Values.firewall.external.adminPort) -}}
{{- end -}}
{{- $list = append $list (dict "name" (printf "fw-%d" $i) "address" $address "admin" $admin) -}}
{{- end -}}
{{- else -}}
{{- range $i, $address := .Values.firewall.incluster.serviceIPs -}}
{{- $admin := printf "http://%s:%d" (include "rampart.urlHost" $address) (int $.Values.firewall.incluster.adminPort) -}}
{{- $list = append $list (dict "name" (printf "fw-%d" $i) "address" $address "admin" $admin) -}}
{{- end -}}
{{- end -}}
{{- toJson $list -}}
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

{{/* Labels on every object of the release. */}}
{{- define "codedance.labels" -}}
app.kubernetes.io/name: {{ .Chart.Name }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: codedance
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version }}
{{- with .Values.commonLabels }}
{{ toYaml . }}
{{- end }}
{{- end }}

{{/*
The rules of the ClusterRole in files/engine-rbac.yaml (a byte-equal copy of infra/k8s/engine-rbac.yaml, each
rule commented with the engine code that needs it), so the chart grants exactly what `kubectl apply` does.
*/}}
{{- define "codedance.engineRules" -}}
{{- range $doc := regexSplit "(?m)^---[ \\t]*$" ($.Files.Get "files/engine-rbac.yaml") -1 }}
{{- $obj := fromYaml $doc }}
{{- if and (eq (toString (get $obj "kind")) "ClusterRole") (get $obj "rules") }}
{{- toYaml (get $obj "rules") }}
{{- end }}
{{- end }}
{{- end }}

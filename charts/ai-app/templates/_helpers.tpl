{{/*
Chart name, truncated to the 63 characters allowed in label values and DNS names.
*/}}
{{- define "ai-app.name" -}}
{{- .Chart.Name | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/*
Fully qualified app name: the release name, prefixed to the chart name unless it already contains it.
*/}}
{{- define "ai-app.fullname" -}}
{{- if contains .Chart.Name .Release.Name }}
{{- .Release.Name | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name .Chart.Name | trunc 63 | trimSuffix "-" }}
{{- end }}
{{- end }}

{{/*
Chart name and version, for the helm.sh/chart label.
*/}}
{{- define "ai-app.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/*
Version label: the image tag when it is a valid label value (it normally is, a git SHA), else the chart appVersion.
*/}}
{{- define "ai-app.version" -}}
{{- $tag := toString .Values.image.tag }}
{{- if regexMatch "^[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$" $tag }}
{{- $tag }}
{{- else }}
{{- .Chart.AppVersion }}
{{- end }}
{{- end }}

{{/*
Selector labels: immutable on a Deployment, so only name and instance.
*/}}
{{- define "ai-app.selectorLabels" -}}
app.kubernetes.io/name: {{ include "ai-app.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{/*
Standard labels.
*/}}
{{- define "ai-app.labels" -}}
{{ include "ai-app.selectorLabels" . }}
app.kubernetes.io/version: {{ include "ai-app.version" . | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
helm.sh/chart: {{ include "ai-app.chart" . }}
{{- end }}

{{/*
ServiceAccount name.
*/}}
{{- define "ai-app.serviceAccountName" -}}
{{- .Values.serviceAccount.name }}
{{- end }}

{{/*
Image reference: <repository>@<digest> when a digest is set (the tag stays in the version label), else <repository>:<tag>.
*/}}
{{- define "ai-app.image" -}}
{{- if .Values.image.digest }}
{{- printf "%s@%s" .Values.image.repository .Values.image.digest }}
{{- else }}
{{- printf "%s:%s" .Values.image.repository (toString .Values.image.tag) }}
{{- end }}
{{- end }}

{{/*
Render-time guards, in addition to values.schema.json (defence in depth, e.g. when the schema is skipped).
Renders nothing; calls fail on invalid values.
*/}}
{{- define "ai-app.validate" -}}
{{- if not (trim (toString .Values.image.repository)) }}
{{- fail "image.repository is required, e.g. myacr.azurecr.io/ai-app" }}
{{- end }}
{{- $tag := trim (toString .Values.image.tag) }}
{{- if not $tag }}
{{- fail "image.tag is required and must be an immutable tag such as the git SHA" }}
{{- end }}
{{- if eq (lower $tag) "latest" }}
{{- fail "image.tag must not be \"latest\": use an immutable tag such as the git SHA" }}
{{- end }}
{{- with .Values.image.digest }}
{{- if not (regexMatch "^sha256:[a-f0-9]{64}$" (toString .)) }}
{{- fail (printf "image.digest %q is not a digest: sha256: and 64 lowercase hex digits, or empty" (toString .)) }}
{{- end }}
{{- end }}
{{- if .Values.autoscaling.enabled }}
{{- if lt (int .Values.autoscaling.maxReplicas) (int .Values.autoscaling.minReplicas) }}
{{- fail (printf "autoscaling.maxReplicas (%v) must be >= autoscaling.minReplicas (%v)" .Values.autoscaling.maxReplicas .Values.autoscaling.minReplicas) }}
{{- end }}
{{- end }}
{{- end }}

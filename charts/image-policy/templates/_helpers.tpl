{{/*
Labels of every object: the chart, its version and the release that owns it.
*/}}
{{- define "image-policy.labels" -}}
app.kubernetes.io/name: {{ .Chart.Name }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/*
The certificate identity cosign keyless writes for a GitHub Actions run: the workflow file's URL at the ref.
*/}}
{{- define "image-policy.subject" -}}
{{- printf "https://github.com/%s/%s@refs/heads/%s" .Values.signer.repository .Values.signer.workflow .Values.signer.branch }}
{{- end }}

{{/*
Kyverno's verifyImages type for the signature storage: a Sigstore bundle referrer, or cosign's .sig tag.
*/}}
{{- define "image-policy.type" -}}
{{- if eq .Values.signatureFormat "cosign" }}Cosign{{ else }}SigstoreBundle{{ end }}
{{- end }}

{{- define "mcsync.fullname" -}}
{{- if contains .Chart.Name .Release.Name -}}{{ .Release.Name | trunc 63 | trimSuffix "-" }}{{- else -}}{{ printf "%s-%s" .Release.Name .Chart.Name | trunc 63 | trimSuffix "-" }}{{- end -}}
{{- end -}}

{{- define "mcsync.labels" -}}
app.kubernetes.io/name: {{ .Chart.Name }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version }}
{{- end -}}

{{- define "mcsync.selector" -}}
app.kubernetes.io/name: {{ .Chart.Name }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}

{{- define "mcsync.kubeconfigSecret" -}}
{{- if .Values.kubeconfigs.existingSecret -}}{{ .Values.kubeconfigs.existingSecret }}{{- else -}}{{ include "mcsync.fullname" . }}-kubeconfigs{{- end -}}
{{- end -}}

{{- define "mcsync.serviceAccountName" -}}
{{- default (include "mcsync.fullname" .) .Values.serviceAccount.name -}}
{{- end -}}

{{- /* The Lease as mcsync names it (src/config/build.ts: leaderElection.name, else mcsync-<instance>). */ -}}
{{- define "mcsync.leaseName" -}}
{{- $le := default dict .Values.config.leaderElection -}}
{{- default (printf "mcsync-%s" (default "default" .Values.config.instance)) $le.name -}}
{{- end -}}

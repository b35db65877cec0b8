{{/* The service's name: every object is named after it (a component suffix where several). */}}
{{- define "mach.name" -}}
{{- required "service.name is required (services/catalog.yml's name)" .Values.service.name -}}
{{- end -}}

{{- define "mach.image" -}}
{{- if .Values.image.digest -}}
{{ .Values.image.repository }}@{{ .Values.image.digest }}
{{- else -}}
{{ .Values.image.repository }}:{{ .Values.image.tag }}
{{- end -}}
{{- end -}}

{{- define "mach.labels" -}}
app.kubernetes.io/name: {{ include "mach.name" . }}
app.kubernetes.io/part-of: mach-platform
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version }}
{{- range $k, $v := .Values.labels }}
{{ $k }}: {{ $v | quote }}
{{- end }}
{{- end -}}

{{/* Selector labels of one component (api, relay, migrations, housekeeping). */}}
{{- define "mach.selector" -}}
app.kubernetes.io/name: {{ include "mach.name" .root }}
app.kubernetes.io/component: {{ .component }}
{{- end -}}

{{/* The pod every component runs: the service's image, restricted, its credentials as files. */}}
{{- define "mach.pod" -}}
serviceAccountName: {{ include "mach.name" .root }}
automountServiceAccountToken: false
securityContext:
  runAsNonRoot: true
  runAsUser: 10001
  runAsGroup: 10001
  fsGroup: 10001
  seccompProfile:
    type: RuntimeDefault
{{- with .extra }}
{{ . }}
{{- end }}
containers:
  - name: {{ .component }}
    image: {{ include "mach.image" .root | quote }}
    imagePullPolicy: {{ .root.Values.image.pullPolicy }}
    command: {{ toJson .command }}
    env:
      - name: MACH_SERVICE_NAME
        value: {{ include "mach.name" .root | quote }}
      - name: CREDENTIALS_DIRECTORY
        value: /run/credentials
      {{- range $k, $v := .root.Values.service.env }}
      - name: {{ $k }}
        value: {{ $v | quote }}
      {{- end }}
    securityContext:
      allowPrivilegeEscalation: false
      readOnlyRootFilesystem: true
      capabilities:
        drop: ["ALL"]
    resources:
      {{- toYaml .root.Values.resources | nindent 6 }}
    volumeMounts:
      - name: credentials
        mountPath: /run/credentials
        readOnly: true
      - name: tmp
        mountPath: /tmp
    {{- with .container }}
    {{- . | nindent 4 }}
    {{- end }}
volumes:
  - name: credentials
    secret:
      secretName: {{ .root.Values.credentialsSecret }}
      defaultMode: 0400
  - name: tmp
    emptyDir:
      sizeLimit: 64Mi
{{- end -}}

package manifest

import (
	"fmt"
	"regexp"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	"sigs.k8s.io/yaml"
)

// Keys of the observability ConfigMaps.
const (
	// CollectorConfigKey holds the OTel Collector configuration (run the Collector with
	// --config=<mount>/collector.yaml).
	CollectorConfigKey = "collector.yaml"
	// ScrapeConfigKey holds a Prometheus configuration fragment with the workload's
	// scrape_configs job, to merge into prometheus.yml.
	ScrapeConfigKey = "scrape-config.yaml"
)

// collectorConfig is an OpenTelemetry Collector configuration for the workload: an OTLP
// receiver on both protocols (bound to all interfaces; the Collector binds localhost by
// default), the memory_limiter and batch processors, and the debug exporter, plus an
// otlphttp exporter when an upstream is given; one pipeline per signal.
func collectorConfig(s *spec) map[string]any {
	exporters := map[string]any{"debug": map[string]any{"verbosity": "basic"}}
	names := []any{"debug"}
	if s.OTLPUpstream != "" {
		exporters["otlphttp"] = map[string]any{"endpoint": s.OTLPUpstream}
		names = append(names, "otlphttp")
	}
	pipeline := func() map[string]any {
		return map[string]any{
			"receivers":  []any{"otlp"},
			"processors": []any{"memory_limiter", "batch"},
			"exporters":  append([]any(nil), names...),
		}
	}
	return map[string]any{
		"receivers": map[string]any{
			"otlp": map[string]any{
				"protocols": map[string]any{
					"grpc": map[string]any{"endpoint": "0.0.0.0:4317"},
					"http": map[string]any{"endpoint": "0.0.0.0:4318"},
				},
			},
		},
		"processors": map[string]any{
			"memory_limiter": map[string]any{"check_interval": "1s", "limit_percentage": 80, "spike_limit_percentage": 25},
			"batch":          map[string]any{},
		},
		"exporters": exporters,
		"service": map[string]any{
			"pipelines": map[string]any{
				"traces":  pipeline(),
				"metrics": pipeline(),
				"logs":    pipeline(),
			},
		},
	}
}

// collectorConfigMap carries the Collector configuration.
func collectorConfigMap(s *spec) (*corev1.ConfigMap, error) {
	data, err := yaml.Marshal(collectorConfig(s))
	if err != nil {
		return nil, fmt.Errorf("manifest: collector config: %w", err)
	}
	return configMap(s, s.collectorName(), CollectorConfigKey, data), nil
}

// CollectorImage is the OpenTelemetry Collector [Build] deploys when OTLP is chosen without
// an OTLPEndpoint: the contrib distribution (it has every component the configuration uses),
// pinned so that the same Choice always gives the same Collector.
const CollectorImage = "otel/opentelemetry-collector-contrib:0.118.0"

// Ports of the Collector's OTLP receiver, on the pod and on its Service.
const (
	CollectorGRPCPort int32 = 4317
	CollectorHTTPPort int32 = 4318
)

// ComponentCollector is the app.kubernetes.io/component label of the Collector's objects.
const ComponentCollector = "collector"

// collectorLabels are the labels of the Collector's Deployment, pods and Service. They
// leave out strata.dev/workload on purpose: the workload's NetworkPolicy, Gatekeeper
// constraint and Prometheus job select by that label, and the Collector is none of the
// workload's pods (it runs under the cluster's default runtime, not the workload's class).
func (s *spec) collectorLabels() map[string]string {
	return map[string]string{
		LabelName:      s.collectorName(),
		LabelComponent: ComponentCollector,
		LabelPartOf:    s.Workload,
		LabelManagedBy: "strata",
	}
}

// collectorSelector selects the Collector's pods.
func (s *spec) collectorSelector() map[string]string {
	return map[string]string{LabelName: s.collectorName(), LabelComponent: ComponentCollector}
}

// collectorDeployment runs the Collector with the configuration of collectorConfigMap,
// mounted at /conf. The memory limit is what memory_limiter's percentages are taken of.
func collectorDeployment(s *spec) *appsv1.Deployment {
	quantities := func(cpu, memory string) corev1.ResourceList {
		return corev1.ResourceList{corev1.ResourceCPU: resource.MustParse(cpu), corev1.ResourceMemory: resource.MustParse(memory)}
	}
	c := corev1.Container{
		Name:  "otel-collector",
		Image: CollectorImage,
		Args:  []string{"--config=/conf/" + CollectorConfigKey},
		Ports: []corev1.ContainerPort{
			{Name: "otlp-grpc", ContainerPort: CollectorGRPCPort, Protocol: corev1.ProtocolTCP},
			{Name: "otlp-http", ContainerPort: CollectorHTTPPort, Protocol: corev1.ProtocolTCP},
		},
		VolumeMounts: []corev1.VolumeMount{{Name: "config", MountPath: "/conf", ReadOnly: true}},
		Resources:    corev1.ResourceRequirements{Requests: quantities("100m", "128Mi"), Limits: quantities("500m", "256Mi")},
		SecurityContext: &corev1.SecurityContext{
			AllowPrivilegeEscalation: new(false),
			RunAsNonRoot:             new(true), // the image runs as UID 10001
		},
	}
	return &appsv1.Deployment{
		TypeMeta:   metav1.TypeMeta{APIVersion: "apps/v1", Kind: "Deployment"},
		ObjectMeta: s.meta(s.collectorName(), s.collectorLabels()),
		Spec: appsv1.DeploymentSpec{
			Replicas: new(int32(1)),
			Selector: &metav1.LabelSelector{MatchLabels: s.collectorSelector()},
			Template: corev1.PodTemplateSpec{
				ObjectMeta: metav1.ObjectMeta{Labels: s.collectorLabels()},
				Spec: corev1.PodSpec{
					Containers: []corev1.Container{c},
					Volumes: []corev1.Volume{{
						Name: "config",
						VolumeSource: corev1.VolumeSource{ConfigMap: &corev1.ConfigMapVolumeSource{
							LocalObjectReference: corev1.LocalObjectReference{Name: s.collectorName()},
						}},
					}},
					SecurityContext: &corev1.PodSecurityContext{
						SeccompProfile: &corev1.SeccompProfile{Type: corev1.SeccompProfileTypeRuntimeDefault},
					},
				},
			},
		},
	}
}

// collectorService is the Service the workload's default OTLPEndpoint names.
func collectorService(s *spec) *corev1.Service {
	port := func(name string, p int32) corev1.ServicePort {
		return corev1.ServicePort{Name: name, Port: p, TargetPort: intstr.FromInt32(p), Protocol: corev1.ProtocolTCP}
	}
	return &corev1.Service{
		TypeMeta:   metav1.TypeMeta{APIVersion: "v1", Kind: "Service"},
		ObjectMeta: s.meta(s.collectorName(), s.collectorLabels()),
		Spec: corev1.ServiceSpec{
			Selector: s.collectorSelector(),
			Ports:    []corev1.ServicePort{port("otlp-grpc", CollectorGRPCPort), port("otlp-http", CollectorHTTPPort)},
		},
	}
}

// scrapeConfig is a Prometheus configuration fragment: one job that discovers the
// workload's pods (kubernetes_sd, role pod, in its namespace, selected by the workload
// label), keeps those annotated prometheus.io/scrape, and scrapes the annotated port and
// path.
func scrapeConfig(s *spec) map[string]any {
	selector := LabelWorkload + "=" + s.Workload
	return map[string]any{
		"scrape_configs": []any{
			map[string]any{
				"job_name": s.Namespace + "/" + s.Workload,
				"kubernetes_sd_configs": []any{
					map[string]any{
						"role":       "pod",
						"namespaces": map[string]any{"names": []any{s.Namespace}},
						"selectors":  []any{map[string]any{"role": "pod", "label": selector}},
					},
				},
				"relabel_configs": []any{
					map[string]any{
						"source_labels": []any{"__meta_kubernetes_pod_label_" + promLabelName(LabelWorkload)},
						"regex":         regexp.QuoteMeta(s.Workload),
						"action":        "keep",
					},
					map[string]any{
						"source_labels": []any{"__meta_kubernetes_pod_annotation_prometheus_io_scrape"},
						"regex":         "true",
						"action":        "keep",
					},
					map[string]any{
						"source_labels": []any{"__meta_kubernetes_pod_annotation_prometheus_io_path"},
						"regex":         "(.+)",
						"target_label":  "__metrics_path__",
						"action":        "replace",
					},
					map[string]any{
						"source_labels": []any{"__meta_kubernetes_pod_ip", "__meta_kubernetes_pod_annotation_prometheus_io_port"},
						"regex":         "(.+);(.+)",
						"replacement":   "$1:$2",
						"target_label":  "__address__",
						"action":        "replace",
					},
					map[string]any{"source_labels": []any{"__meta_kubernetes_namespace"}, "target_label": "namespace", "action": "replace"},
					map[string]any{"source_labels": []any{"__meta_kubernetes_pod_name"}, "target_label": "pod", "action": "replace"},
					map[string]any{
						"source_labels": []any{"__meta_kubernetes_pod_label_" + promLabelName(LabelIsolation)},
						"target_label":  "isolation_layer",
						"action":        "replace",
					},
					map[string]any{
						"source_labels": []any{"__meta_kubernetes_pod_label_" + promLabelName(LabelCoordinates)},
						"target_label":  "coordinates",
						"action":        "replace",
					},
				},
			},
		},
	}
}

// scrapeConfigMap carries the scrape job.
func scrapeConfigMap(s *spec) (*corev1.ConfigMap, error) {
	data, err := yaml.Marshal(scrapeConfig(s))
	if err != nil {
		return nil, fmt.Errorf("manifest: scrape config: %w", err)
	}
	return configMap(s, s.Workload+"-prometheus-scrape", ScrapeConfigKey, data), nil
}

// configMap is a ConfigMap in the workload's namespace with one key.
func configMap(s *spec, name, key string, data []byte) *corev1.ConfigMap {
	return &corev1.ConfigMap{
		TypeMeta:   metav1.TypeMeta{APIVersion: "v1", Kind: "ConfigMap"},
		ObjectMeta: s.meta(name, s.objectLabels()),
		Data:       map[string]string{key: string(data)},
	}
}

// promLabelName is how Prometheus's Kubernetes discovery spells a Kubernetes label in its
// meta labels: every character outside [a-zA-Z0-9_] becomes an underscore.
func promLabelName(label string) string {
	return invalidPromLabel.ReplaceAllString(label, "_")
}

var invalidPromLabel = regexp.MustCompile(`[^a-zA-Z0-9_]`)

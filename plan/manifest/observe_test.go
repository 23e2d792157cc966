package manifest

import (
	"slices"
	"strings"
	"testing"

	"github.com/strata-dev/strata/internal/admissiontest"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"sigs.k8s.io/yaml"
)

// collectorDoc is the part of the OTel Collector's configuration schema the file uses;
// decoding strictly into it catches a misspelled key.
type collectorDoc struct {
	Receivers struct {
		OTLP struct {
			Protocols struct {
				GRPC struct{ Endpoint string } `json:"grpc"`
				HTTP struct{ Endpoint string } `json:"http"`
			} `json:"protocols"`
		} `json:"otlp"`
	} `json:"receivers"`
	Processors struct {
		MemoryLimiter struct {
			CheckInterval        string `json:"check_interval"`
			LimitPercentage      int    `json:"limit_percentage"`
			SpikeLimitPercentage int    `json:"spike_limit_percentage"`
		} `json:"memory_limiter"`
		Batch *struct{} `json:"batch"`
	} `json:"processors"`
	Exporters struct {
		Debug    *struct{ Verbosity string } `json:"debug"`
		OTLPHTTP *struct{ Endpoint string }  `json:"otlphttp"`
	} `json:"exporters"`
	Service struct {
		Pipelines map[string]struct {
			Receivers  []string `json:"receivers"`
			Processors []string `json:"processors"`
			Exporters  []string `json:"exporters"`
		} `json:"pipelines"`
	} `json:"service"`
}

// scrapeDoc is the part of Prometheus's configuration schema the fragment uses.
type scrapeDoc struct {
	ScrapeConfigs []struct {
		JobName             string `json:"job_name"`
		KubernetesSDConfigs []struct {
			Role       string `json:"role"`
			Namespaces struct {
				Names []string `json:"names"`
			} `json:"namespaces"`
			Selectors []struct {
				Role  string `json:"role"`
				Label string `json:"label"`
			} `json:"selectors"`
		} `json:"kubernetes_sd_configs"`
		RelabelConfigs []struct {
			SourceLabels []string `json:"source_labels"`
			Regex        string   `json:"regex"`
			Replacement  string   `json:"replacement"`
			TargetLabel  string   `json:"target_label"`
			Action       string   `json:"action"`
		} `json:"relabel_configs"`
	} `json:"scrape_configs"`
}

func TestCollectorConfig(t *testing.T) {
	objs := buildCase(t, cases[1].choice) // serverless: OTLP with an upstream
	cm := findFile(t, objs, "40-configmap-").Obj.(*corev1.ConfigMap)
	if cm.Name != "thumbnailer-otel-collector" {
		t.Fatalf("first ConfigMap %s", cm.Name)
	}
	var doc collectorDoc
	if err := yaml.UnmarshalStrict([]byte(cm.Data[CollectorConfigKey]), &doc); err != nil {
		t.Fatalf("collector config: %v\n%s", err, cm.Data[CollectorConfigKey])
	}
	if doc.Receivers.OTLP.Protocols.HTTP.Endpoint != "0.0.0.0:4318" || doc.Receivers.OTLP.Protocols.GRPC.Endpoint != "0.0.0.0:4317" {
		t.Errorf("receivers %+v", doc.Receivers)
	}
	if doc.Processors.Batch == nil || doc.Exporters.Debug == nil || doc.Exporters.OTLPHTTP == nil ||
		doc.Exporters.OTLPHTTP.Endpoint != "https://otlp.example.com" {
		t.Errorf("processors %+v exporters %+v", doc.Processors, doc.Exporters)
	}
	for _, signal := range []string{"traces", "metrics", "logs"} {
		p, ok := doc.Service.Pipelines[signal]
		if !ok || len(p.Receivers) != 1 || p.Receivers[0] != "otlp" || len(p.Exporters) != 2 {
			t.Errorf("pipeline %s: %+v", signal, p)
		}
	}
}

func TestScrapeConfig(t *testing.T) {
	objs := buildCase(t, cases[2].choice) // microservices: Prometheus on 9100
	var cm *corev1.ConfigMap
	for _, o := range objs {
		if c, ok := o.Obj.(*corev1.ConfigMap); ok && c.Name == "orders-prometheus-scrape" {
			cm = c
		}
	}
	if cm == nil {
		t.Fatal("no scrape ConfigMap")
	}
	var doc scrapeDoc
	if err := yaml.UnmarshalStrict([]byte(cm.Data[ScrapeConfigKey]), &doc); err != nil {
		t.Fatalf("scrape config: %v", err)
	}
	if len(doc.ScrapeConfigs) != 1 {
		t.Fatalf("%d jobs", len(doc.ScrapeConfigs))
	}
	job := doc.ScrapeConfigs[0]
	sd := job.KubernetesSDConfigs[0]
	if job.JobName != "shop/orders" || sd.Role != "pod" || sd.Namespaces.Names[0] != "shop" ||
		sd.Selectors[0].Label != "strata.dev/workload=orders" {
		t.Errorf("job %+v", job)
	}
	if r := job.RelabelConfigs[0]; r.SourceLabels[0] != "__meta_kubernetes_pod_label_strata_dev_workload" || r.Action != "keep" {
		t.Errorf("first relabel %+v", r)
	}
}

// TestCollectorDeployed: OTLP without an OTLPEndpoint deploys the Collector the default
// endpoint names, running the emitted configuration, and outside the workload's policies.
func TestCollectorDeployed(t *testing.T) {
	c := cases[0].choice // edge: OTLP, no endpoint, Z=3 (NetworkPolicy and Gatekeeper)
	objs := buildCase(t, c)
	var d *appsv1.Deployment
	var svc *corev1.Service
	for _, o := range objs {
		switch obj := o.Obj.(type) {
		case *appsv1.Deployment:
			if o.File == "42-deployment-edge-sensor-otel-collector.yaml" {
				d = obj
			}
		case *corev1.Service:
			if o.File == "43-service-edge-sensor-otel-collector.yaml" {
				svc = obj
			}
		}
	}
	if d == nil || svc == nil {
		t.Fatalf("no Collector Deployment and Service among %v", files(objs))
	}
	cm := findFile(t, objs, "40-configmap-").Obj.(*corev1.ConfigMap)

	// The Collector runs the ConfigMap's configuration, on a pinned image.
	ctr := d.Spec.Template.Spec.Containers[0]
	if ctr.Image != CollectorImage || !strings.HasPrefix(ctr.Image, "otel/opentelemetry-collector-contrib:0.") {
		t.Errorf("image %q: want the contrib Collector at a pinned version", ctr.Image)
	}
	vol := d.Spec.Template.Spec.Volumes[0]
	if vol.ConfigMap == nil || vol.ConfigMap.Name != cm.Name || ctr.VolumeMounts[0].Name != vol.Name ||
		ctr.VolumeMounts[0].MountPath != "/conf" || !slices.Equal(ctr.Args, []string{"--config=/conf/" + CollectorConfigKey}) {
		t.Errorf("the Collector does not run ConfigMap %s: args %v, volumes %+v, mounts %+v", cm.Name, ctr.Args, d.Spec.Template.Spec.Volumes, ctr.VolumeMounts)
	}
	if _, ok := cm.Data[CollectorConfigKey]; !ok {
		t.Errorf("ConfigMap has no %s", CollectorConfigKey)
	}
	if ctr.Resources.Limits.Memory().IsZero() || ctr.Resources.Requests.Cpu().IsZero() {
		t.Errorf("resources %+v: memory_limiter needs a memory limit", ctr.Resources)
	}
	if sc := ctr.SecurityContext; sc == nil || sc.AllowPrivilegeEscalation == nil || *sc.AllowPrivilegeEscalation ||
		d.Spec.Template.Spec.SecurityContext.SeccompProfile.Type != corev1.SeccompProfileTypeRuntimeDefault {
		t.Errorf("security context %+v / %+v", ctr.SecurityContext, d.Spec.Template.Spec.SecurityContext)
	}

	// The Service selects the Collector's pods, on the ports they listen on, and it is what
	// the workload's OTEL_EXPORTER_OTLP_ENDPOINT names.
	podLabels := labels.Set(d.Spec.Template.Labels)
	if !labels.SelectorFromSet(svc.Spec.Selector).Matches(podLabels) {
		t.Errorf("Service selector %v does not select the Collector's pods %v", svc.Spec.Selector, podLabels)
	}
	listening := map[int32]bool{}
	for _, p := range ctr.Ports {
		listening[p.ContainerPort] = true
	}
	for _, p := range svc.Spec.Ports {
		if !listening[p.TargetPort.IntVal] || p.Port != p.TargetPort.IntVal {
			t.Errorf("Service port %+v: the Collector listens on %v", p, listening)
		}
	}
	wl := workloadObj(t, objs).Obj.(*appsv1.Deployment)
	var endpoint string
	for _, e := range wl.Spec.Template.Spec.Containers[0].Env {
		if e.Name == "OTEL_EXPORTER_OTLP_ENDPOINT" {
			endpoint = e.Value
		}
	}
	if want := "http://" + svc.Name + "." + svc.Namespace + ".svc:4318"; endpoint != want || !listening[4318] {
		t.Errorf("workload sends OTLP to %q, want the Service %q", endpoint, want)
	}
	if wlLabels := labels.Set(wl.Spec.Template.Labels); labels.SelectorFromSet(svc.Spec.Selector).Matches(wlLabels) {
		t.Errorf("the Collector Service selects the workload's pods %v", wlLabels)
	}
	for _, l := range []map[string]string{d.Labels, svc.Labels, d.Spec.Template.Labels} {
		if l[LabelName] != "edge-sensor-otel-collector" || l[LabelComponent] != ComponentCollector || l[LabelManagedBy] != "strata" {
			t.Errorf("Collector labels %v", l)
		}
	}

	// Not the workload: no strata.dev/ label, so neither the NetworkPolicy nor the
	// Gatekeeper constraint selects the Collector's pods.
	for k := range podLabels {
		if strings.HasPrefix(k, reservedPrefix) {
			t.Errorf("Collector pods carry %s", k)
		}
	}
	np := find(t, objs, "NetworkPolicy").Obj.(*networkingv1.NetworkPolicy)
	if sel, err := metav1.LabelSelectorAsSelector(&np.Spec.PodSelector); err != nil || sel.Matches(podLabels) {
		t.Errorf("the workload's NetworkPolicy selects the Collector's pods (%v)", err)
	}
	pol, err := admissiontest.NewPolicy(find(t, objs, "ConstraintTemplate").YAML, find(t, objs, ConstraintKind).YAML)
	if err != nil {
		t.Fatal(err)
	}
	for _, o := range []Object{find(t, objs, "Deployment"), workloadObj(t, objs)} {
		var m map[string]any
		if err := yaml.Unmarshal(o.YAML, &m); err != nil {
			t.Fatal(err)
		}
		// The Collector carries no workload label, so the Rego selects none of its pods
		// even under a weaker class; the workload's pods are.
		admissiontest.PodSpec(m)["runtimeClassName"] = "runc"
		v, err := pol.Review(m)
		if err != nil {
			t.Fatal(err)
		}
		if want := o.File == workloadObj(t, objs).File; (len(v) > 0) != want {
			t.Errorf("constraint denies %s under runc: %v, want %v", o.File, v, want)
		}
	}

	// An endpoint of one's own: no Collector deployed.
	c.OTLPEndpoint = "http://otel-collector.observability.svc:4318"
	for _, o := range buildCase(t, c) {
		if o.Kind == "Service" || (o.Kind == "Deployment" && !strings.HasPrefix(o.File, "60-")) {
			t.Errorf("OTLPEndpoint given, yet %s emitted", o.File)
		}
	}
}

// TestNetworkPolicyOTLPEgress: at Z ≥ 1 the workload can reach its OTLP endpoint: its own
// Collector in the namespace, a Service in another namespace, or any other host by port.
func TestNetworkPolicyOTLPEgress(t *testing.T) {
	anywhere := []networkingv1.NetworkPolicyPeer{
		{IPBlock: &networkingv1.IPBlock{CIDR: "0.0.0.0/0"}},
		{IPBlock: &networkingv1.IPBlock{CIDR: "::/0"}},
	}
	inNamespace := func(ns string) []networkingv1.NetworkPolicyPeer {
		return []networkingv1.NetworkPolicyPeer{{NamespaceSelector: &metav1.LabelSelector{MatchLabels: map[string]string{"kubernetes.io/metadata.name": ns}}}}
	}
	for _, tc := range []struct {
		endpoint string
		to       []networkingv1.NetworkPolicyPeer // nil: no rule beyond DNS and the namespace
		port     int32
	}{
		{"", nil, 0}, // the Collector Build deploys, in the namespace
		{"http://otel-collector.observability.svc:4318", inNamespace("observability"), 4318},
		{"http://otel-collector.observability.svc.cluster.local:4317", inNamespace("observability"), 4317},
		{"http://Otel-Collector.Observability.SVC.:4318", inNamespace("observability"), 4318},
		{"http://collector.edge.svc:4318", nil, 0}, // the workload's own namespace: already open
		{"https://otlp.example.com", anywhere, 443},
		{"http://otlp.example.com/v1", anywhere, 80},
		{"http://10.0.0.7:4318", anywhere, 4318},
		{"http://[fd00::7]:4318", anywhere, 4318},
		{"http://otel.observability.svc.example.internal:4318", anywhere, 4318}, // another cluster domain
		{"http://a.b.c.svc:4318", anywhere, 4318},
	} {
		t.Run(tc.endpoint, func(t *testing.T) {
			c := cases[0].choice // edge: namespace edge, Z=3
			c.OTLPEndpoint = tc.endpoint
			o := find(t, buildCase(t, c), "NetworkPolicy")
			if _, _, err := admissiontest.Decode(o.YAML); err != nil {
				t.Fatalf("strict decode: %v\n%s", err, o.YAML)
			}
			egress := o.Obj.(*networkingv1.NetworkPolicy).Spec.Egress
			if tc.to == nil {
				if len(egress) != 2 {
					t.Errorf("egress %+v, want DNS and the namespace only", egress)
				}
				return
			}
			if len(egress) != 3 {
				t.Fatalf("egress %+v, want a third rule for the endpoint", egress)
			}
			r := egress[2]
			if !equality.Semantic.DeepEqual(r.To, tc.to) || len(r.Ports) != 1 ||
				*r.Ports[0].Protocol != corev1.ProtocolTCP || r.Ports[0].Port.IntVal != tc.port {
				t.Errorf("OTLP rule %+v, want to %+v on TCP %d", r, tc.to, tc.port)
			}
		})
	}
}

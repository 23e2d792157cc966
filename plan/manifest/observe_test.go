package manifest

import (
	"testing"

	corev1 "k8s.io/api/core/v1"
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
	cm := find(t, objs, "ConfigMap").Obj.(*corev1.ConfigMap)
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

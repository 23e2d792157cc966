package reason_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/strata-dev/strata/network"
	"github.com/strata-dev/strata/reason"
)

// seedFact is one fact of the seed (shared/seed/multi-dimensional-network.*.md) that the
// embedded default network must hold. The test fails naming every one that is missing.
type seedFact struct {
	what string // entity | attr | fact | eq | gt | formula | dimension
	a    []string
}

func f(what string, a ...string) seedFact { return seedFact{what, a} }

// seedFacts walks the seed section by section.
var seedFacts = []seedFact{
	// 30.6.1 the four-layer isolation stack
	f("dimension", "isolation", "four-layer isolation stack", "四层隔离栈"),
	f("entity", "L-0", "hardware", "硬件", "D1"), f("attr", "L-0", "key-relation", "hardware-assisted virtualization", "硬件辅助虚拟化"),
	f("entity", "L-1", "full virtualization", "全虚拟", "D2"), f("attr", "L-1", "key-relation", "complete hardware virtualization", "完整硬件虚拟化"),
	f("entity", "L-2", "paravirtualization", "半虚拟", "D3"), f("attr", "L-2", "key-relation", "kernel-level paravirtualization", "内核级半虚拟化"),
	f("entity", "L-3", "container", "容器", "D4"), f("attr", "L-3", "key-relation", "process-level isolation", "进程级隔离"),
	f("entity", "L-4", "sandbox", "沙盒", "D5"), f("attr", "L-4", "key-relation", "bytecode / syscall-filtering isolation", "字节码/系统调用过滤级隔离"),
	f("fact", "VT-x", "represents", "L-0"), f("fact", "AMD-V", "represents", "L-0"),
	f("fact", "KVM", "represents", "L-1"), f("fact", "ESXi", "represents", "L-1"),
	f("fact", "virtio", "represents", "L-2"), f("fact", "Xen-PV", "represents", "L-2"),
	f("fact", "runc", "represents", "L-3"), f("fact", "containerd", "represents", "L-3"),
	f("fact", "WasmEdge", "represents", "L-4"), f("fact", "gVisor", "represents", "L-4"),
	// isolation strength: L-0 = L-4 > L-1 > L-2 > L-3
	f("eq", "isolation-strength", "L-0", "L-4"),
	f("gt", "isolation-strength", "L-4", "L-1"), f("gt", "isolation-strength", "L-0", "L-1"),
	f("gt", "isolation-strength", "L-1", "L-2"), f("gt", "isolation-strength", "L-2", "L-3"),
	f("ngt", "isolation-strength", "L-0", "L-4"), f("ngt", "isolation-strength", "L-4", "L-0"),
	// performance overhead: L-3 < L-4 < L-2 < L-1 < L-0
	f("gt", "overhead", "L-4", "L-3"), f("gt", "overhead", "L-2", "L-4"),
	f("gt", "overhead", "L-1", "L-2"), f("gt", "overhead", "L-0", "L-1"), f("gt", "overhead", "L-0", "L-3"),
	f("ngt", "overhead", "L-3", "L-4"),

	// 30.6.2 the seven-view architecture framework
	f("dimension", "architecture", "seven-view architecture framework", "七维架构框架"),
	f("entity", "A1", "technical architecture", "技术架构"), f("attr", "A1", "concern", "hardware, software, network", "硬件、软件、网络"),
	f("entity", "A2", "conceptual architecture", "概念架构"), f("attr", "A2", "concern", "high-level abstract model", "系统高层抽象模型"),
	f("entity", "A3", "data architecture", "数据架构"), f("attr", "A3", "concern", "data structure, storage, processing", "数据结构、存储、处理"),
	f("entity", "A4", "business architecture", "业务架构"), f("attr", "A4", "concern", "business process, organisation, strategy", "业务流程、组织、战略"),
	f("entity", "A5", "software architecture", "软件架构"), f("attr", "A5", "concern", "software structure, components, interfaces", "软件结构、组件、接口"),
	f("entity", "A6", "application architecture", "应用架构"), f("attr", "A6", "concern", "application system structure and components", "应用系统结构和组件"),
	f("entity", "A7", "scenario architecture", "场景架构"), f("attr", "A7", "concern", "architecture for a specific scenario", "特定场景的架构设计"),
	f("fact", "Kubernetes", "represents", "A1"), f("fact", "CNI", "represents", "A1"), f("fact", "CSI", "represents", "A1"),
	f("fact", "CRI", "represents", "A2"), f("fact", "CNI", "represents", "A2"), f("fact", "CSI", "represents", "A2"),
	f("fact", "CSI", "represents", "A3"), f("fact", "PV-PVC", "represents", "A3"), f("fact", "data-volumes", "represents", "A3"),
	f("fact", "OPA", "represents", "A4"), f("fact", "Gatekeeper", "represents", "A4"),
	f("fact", "containerd", "represents", "A5"), f("fact", "crun", "represents", "A5"), f("fact", "WasmEdge", "represents", "A5"),
	f("fact", "K3s", "represents", "A6"), f("fact", "Kubernetes", "represents", "A6"),
	f("fact", "edge", "represents", "A7"), f("fact", "ai-inference", "represents", "A7"), f("fact", "serverless", "represents", "A7"),
	// A1 → A5 → A6 → A7; A2 → A3 → A4
	f("gt", "leads-to", "A1", "A5"), f("gt", "leads-to", "A5", "A6"), f("gt", "leads-to", "A6", "A7"), f("gt", "leads-to", "A1", "A7"),
	f("gt", "leads-to", "A2", "A3"), f("gt", "leads-to", "A3", "A4"),
	f("ngt", "leads-to", "A1", "A2"), f("ngt", "leads-to", "A2", "A5"),

	// 30.6.3 evolution over time
	f("dimension", "timeline", "evolution over time", "时间演进"),
	f("entity", "T1", "containerisation", "容器化"), f("attr", "T1", "year", "2013"), f("attr", "T1", "change", "containers go mainstream", "容器化普及"), f("fact", "Docker", "represents", "T1"),
	f("entity", "T2", "orchestration", "编排化"), f("attr", "T2", "year", "2015"), f("attr", "T2", "change", "container orchestration standardised", "容器编排标准化"), f("fact", "Kubernetes", "represents", "T2"),
	f("entity", "T3", "edge", "边缘化"), f("attr", "T3", "year", "2019"), f("attr", "T3", "change", "lightweight orchestration at the edge", "边缘轻量级编排"), f("fact", "K3s", "represents", "T3"),
	f("entity", "T4", "Wasm", "Wasm化"), f("attr", "T4", "year", "2021"), f("attr", "T4", "change", "Wasm runtimes mature", "Wasm 运行时成熟"), f("fact", "WasmEdge", "represents", "T4"),
	f("entity", "T5", "native Wasm", "原生Wasm"), f("attr", "T5", "year", "2025"), f("attr", "T5", "change", "native Wasm support", "原生 Wasm 支持"), f("fact", "k8s-1.30-wasm", "represents", "T5"),
	f("entity", "k8s-1.30-wasm", "K8s 1.30 + Wasm", ""),
	f("gt", "evolves-to", "T1", "T2"), f("gt", "evolves-to", "T2", "T3"), f("gt", "evolves-to", "T3", "T4"), f("gt", "evolves-to", "T4", "T5"), f("gt", "evolves-to", "T1", "T5"),

	// 30.6.4 application scenarios
	f("dimension", "scenarios", "application scenarios", "场景应用"),
	f("entity", "edge", "edge computing", "边缘计算"), f("fact", "edge", "uses", "K3s"), f("fact", "edge", "uses", "WasmEdge"),
	f("fact", "edge", "requires", "resource-constrained"), f("fact", "edge", "requires", "fast-startup"),
	f("fact", "edge", "placed-at", "X2"), f("fact", "edge", "placed-at", "Y4"),
	f("attr", "edge", "coordinates", "X=2 (edge orchestration), Y=4 (sandbox isolation)", "X=2(边缘编排), Y=4(沙盒隔离)"),
	f("entity", "ai-inference", "AI inference", "AI 推理"), f("fact", "ai-inference", "uses", "WasmEdge"), f("fact", "ai-inference", "uses", "GPU"),
	f("fact", "ai-inference", "requires", "gpu-acceleration"), f("fact", "ai-inference", "requires", "low-latency"),
	f("fact", "ai-inference", "placed-at", "Y4"), f("fact", "ai-inference", "placed-at", "Z3"),
	f("entity", "serverless", "Serverless", "Serverless"), f("fact", "serverless", "uses", "K3s"), f("fact", "serverless", "uses", "WasmEdge"), f("fact", "serverless", "uses", "OPA-Wasm"),
	f("fact", "serverless", "requires", "millisecond-startup"), f("fact", "serverless", "requires", "scale-on-demand"),
	f("fact", "serverless", "placed-at", "X2"), f("fact", "serverless", "placed-at", "Y4"), f("fact", "serverless", "placed-at", "Z3"),
	f("entity", "microservices", "microservices", "微服务"), f("fact", "microservices", "uses", "Kubernetes"), f("fact", "microservices", "uses", "containerd"),
	f("fact", "microservices", "requires", "enterprise-grade"), f("fact", "microservices", "requires", "high-availability"),
	f("fact", "microservices", "placed-at", "X1"), f("fact", "microservices", "placed-at", "Y3"),
	f("entity", "resource-constrained", "resource-constrained", "资源受限"), f("entity", "fast-startup", "fast start-up", "快速启动"),
	f("entity", "gpu-acceleration", "GPU acceleration", "GPU 加速"), f("entity", "low-latency", "low latency", "低延迟"),
	f("entity", "millisecond-startup", "millisecond start-up", "毫秒启动"), f("entity", "scale-on-demand", "scale on demand", "按需扩展"),
	f("entity", "enterprise-grade", "enterprise grade", "企业级"), f("entity", "high-availability", "high availability", "高可用"),

	// 30.6.5 observability
	f("dimension", "observability", "observability", "可观测性"),
	f("entity", "O1", "horizontal observation", "横向观测"), f("fact", "OTLP", "represents", "O1"), f("attr", "O1", "gives", "request-chain tracing, calls between services", "请求链追踪、服务间调用"),
	f("entity", "O2", "vertical observation", "纵向观测"), f("fact", "eBPF", "represents", "O2"), f("attr", "O2", "gives", "kernel stack tracing, system calls", "内核栈追踪、系统调用"),
	f("entity", "O3", "metrics", "Metrics"), f("fact", "Prometheus", "represents", "O3"), f("attr", "O3", "gives", "metric collection, performance monitoring", "指标收集、性能监控"),
	f("entity", "O4", "logs", "Logs"), f("fact", "Loki", "represents", "O4"), f("attr", "O4", "gives", "log aggregation, search", "日志聚合、搜索"),
	f("entity", "O5", "correlation", "关联分析"), f("fact", "Grafana", "represents", "O5"), f("attr", "O5", "gives", "multi-dimensional correlation, visualisation", "多维度关联、可视化"),
	f("formula", "complete-observability", "+", "O1", "O2"), f("formula", "problem-location", "×", "O1", "O2"),
	f("entity", "complete-observability", "complete observability", "完整可观测性"), f("entity", "problem-location", "problem location", "问题定位"),

	// the coordinate axes X, Y, Z with points 0–4
	f("dimension", "x-orchestration", "X orchestration scope", "X 编排范围"),
	f("entity", "X0", "single host", "单机"), f("fact", "Docker", "represents", "X0"),
	f("entity", "X1", "cluster", "集群"), f("fact", "Kubernetes", "represents", "X1"),
	f("entity", "X2", "lightweight cluster / edge", "轻量集群/边缘"), f("fact", "K3s", "represents", "X2"),
	f("entity", "X3", "multi-cluster", "多集群"), f("fact", "Karmada", "represents", "X3"), f("fact", "Fleet", "represents", "X3"),
	f("entity", "X4", "cloud-edge", "云边协同"), f("fact", "KubeEdge", "represents", "X4"),
	f("dimension", "y-isolation", "Y isolation", "Y 隔离"),
	f("fact", "Y0", "corresponds-to", "L-0"), f("fact", "Y1", "corresponds-to", "L-1"), f("fact", "Y2", "corresponds-to", "L-2"),
	f("fact", "Y3", "corresponds-to", "L-3"), f("fact", "Y4", "corresponds-to", "L-4"),
	f("dimension", "z-policy", "Z policy", "Z 策略"),
	f("entity", "Z0", "none", "无"), f("entity", "Z1", "infrastructure", "基础设施"), f("fact", "NetworkPolicy", "represents", "Z1"),
	f("entity", "Z2", "runtime", "运行时"), f("fact", "OPA", "represents", "Z2"),
	f("entity", "Z3", "application", "应用"), f("fact", "Gatekeeper", "represents", "Z3"),
	f("entity", "Z4", "business", "业务"), f("fact", "business-rules", "represents", "Z4"), f("fact", "business-rules", "uses", "OPA"),
	f("coord", "X", "0", "1", "2", "3", "4"), f("coord", "Y", "0", "1", "2", "3", "4"), f("coord", "Z", "0", "1", "2", "3", "4"),
	// the examples: K3s + WasmEdge = (2, 4, 3); K8s + gVisor = (1, 4, 2); K3s + OPA = (2, 3, 3); Karmada + WasmEdge = (3, 4, 3)
	f("example", "k3s-wasmedge", "K3s,WasmEdge", "X2,Y4,Z3"), f("example", "k8s-gvisor", "Kubernetes,gVisor", "X1,Y4,Z2"),
	f("example", "k3s-opa", "K3s,OPA", "X2,Y3,Z3"), f("example", "karmada-wasmedge", "Karmada,WasmEdge", "X3,Y4,Z3"),
	// every technology the seed names resolves by its usual name
	f("names", "KVM", "ESXi", "virtio", "Xen PV", "runc", "containerd", "crun", "WasmEdge", "gVisor", "Docker", "Kubernetes", "K8s", "K3s",
		"CNI", "CSI", "CRI", "PV/PVC", "OPA", "Gatekeeper", "OPA-Wasm", "OTLP", "eBPF", "Prometheus", "Loki", "Grafana", "Karmada", "Fleet",
		"KubeEdge", "NetworkPolicy", "VT-x", "AMD-V", "GPU", "K8s 1.30 + Wasm", "数据卷"),
}

func TestSeedFacts(t *testing.T) {
	n, err := network.Default()
	if err != nil {
		t.Fatal(err)
	}
	r, err := reason.New(n)
	if err != nil {
		t.Fatal(err)
	}
	if ps := r.Contradictions(); len(ps) > 0 {
		t.Fatalf("the default network contradicts itself:\n%v", ps)
	}
	for _, sf := range seedFacts {
		if msg := checkSeedFact(n, r, sf); msg != "" {
			t.Errorf("seed fact %s %v: %s", sf.what, sf.a, msg)
		}
	}
}

func checkSeedFact(n *network.Network, r *reason.Reasoner, sf seedFact) string {
	a := sf.a
	switch sf.what {
	case "dimension":
		d, ok := n.Dimension(a[0])
		if !ok {
			return "no such dimension"
		}
		if d.Names.En != a[1] || d.Names.Zh != a[2] {
			return fmt.Sprintf("names are %q / %q", d.Names.En, d.Names.Zh)
		}
	case "entity":
		e, ok := n.Entity(a[0])
		if !ok {
			return "no such entity"
		}
		if e.Names.En != a[1] || (a[2] != "" && e.Names.Zh != a[2]) {
			return fmt.Sprintf("names are %q / %q", e.Names.En, e.Names.Zh)
		}
		for _, alias := range a[3:] {
			if got, err := n.Resolve(alias); err != nil || got != e {
				return "alias " + alias + " does not resolve to it"
			}
		}
		for _, name := range a[1:3] {
			if name == "" {
				continue
			}
			if got, err := n.Resolve(name); err == nil && got != e && got.ID != name {
				return "name " + name + " resolves to " + got.ID
			}
		}
	case "attr":
		e, ok := n.Entity(a[0])
		if !ok {
			return "no such entity"
		}
		at, ok := e.Attr(a[1])
		if !ok {
			return "no attribute " + a[1]
		}
		switch at.Type {
		case network.TypeText:
			if at.Text.En != a[2] || (len(a) > 3 && at.Text.Zh != a[3]) {
				return fmt.Sprintf("is %q / %q", at.Text.En, at.Text.Zh)
			}
		case network.TypeInt:
			if fmt.Sprint(at.Int) != a[2] {
				return fmt.Sprintf("is %d", at.Int)
			}
		default:
			return "has type " + at.Type
		}
	case "fact":
		for _, fa := range n.Facts {
			if fa.Subject == a[0] && fa.Relation == a[1] && fa.Object == a[2] && fa.Kind == network.Declared && fa.Source.Line > 0 {
				return ""
			}
		}
		return "not declared"
	case "eq", "gt", "ngt":
		rel, err := r.Relation(a[0])
		if err != nil {
			return err.Error()
		}
		x, _ := n.Entity(a[1])
		y, _ := n.Entity(a[2])
		d, err := r.Why(rel, x, map[string]string{"eq": "=", "gt": ">", "ngt": ">"}[sf.what], y)
		if err != nil {
			return err.Error()
		}
		if d.Holds != (sf.what != "ngt") {
			return fmt.Sprintf("holds=%v", d.Holds)
		}
		for _, fa := range d.Facts {
			if fa.Source.Line == 0 {
				return "derivation cites a fact without a source"
			}
		}
	case "formula":
		for _, fm := range n.Formulas {
			if fm.Result == a[0] && fm.Op == a[1] && strings.Join(fm.Operands, ",") == strings.Join(a[2:], ",") {
				return ""
			}
		}
		return "no such formula"
	case "coord":
		d, ok := n.Dimension(a[0])
		if !ok || d.Axis != a[0] {
			return "no such axis"
		}
		if len(d.Values) != len(a)-1 {
			return fmt.Sprintf("has %d points", len(d.Values))
		}
		for i, v := range d.Values {
			e, _ := n.Entity(v)
			at, ok := e.Attr("coordinate")
			if !ok || fmt.Sprint(at.Int) != a[i+1] {
				return v + " has the wrong coordinate"
			}
		}
	case "example":
		for _, t := range strings.Split(a[1], ",") {
			if msg := checkSeedFact(n, r, f("fact", a[0], "uses", t)); msg != "" {
				return "uses " + t + ": " + msg
			}
		}
		for _, p := range strings.Split(a[2], ",") {
			if msg := checkSeedFact(n, r, f("fact", a[0], "placed-at", p)); msg != "" {
				return "placed-at " + p + ": " + msg
			}
		}
	case "names":
		for _, name := range a {
			e, err := n.Resolve(name)
			if err != nil {
				return err.Error()
			}
			if e.Category != network.CategoryTechnology {
				return name + " is a " + e.Category
			}
		}
	default:
		return "unknown check " + sf.what
	}
	return ""
}

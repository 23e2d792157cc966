package fleet_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/runtime/serializer/protobuf"
	"k8s.io/client-go/kubernetes/scheme"

	"github.com/strata-dev/strata/fleet"
)

// nodeServer answers GET /version and LISTs of nodes, page by page, as the API server does:
// in protobuf when asked (Kubernetes' own serializer) or JSON, with a continue token naming
// the next page's first node. expireOnce makes the first request with a continue token
// answer 410 Gone (the API server compacted its history), forbid makes every LIST 403.
type nodeServer struct {
	nodes      []corev1.Node
	json       bool
	expireOnce bool
	forbid     bool

	mu       sync.Mutex
	requests []string // each LIST's query
}

func (s *nodeServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path == "/version" {
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprint(w, `{"major":"1","minor":"37","gitVersion":"v1.37.2"}`)
		return
	}
	if r.URL.Path != "/api/v1/nodes" {
		http.NotFound(w, r)
		return
	}
	q := r.URL.Query()
	s.mu.Lock()
	s.requests = append(s.requests, r.URL.RawQuery)
	expire := s.expireOnce && q.Get("continue") != ""
	if expire {
		s.expireOnce = false
	}
	s.mu.Unlock()
	asProtobuf := !s.json && strings.Contains(r.Header.Get("Accept"), runtime.ContentTypeProtobuf)
	write := func(code int, obj runtime.Object) {
		var b bytes.Buffer
		if asProtobuf {
			if err := protobuf.NewSerializer(scheme.Scheme, scheme.Scheme).Encode(obj, &b); err != nil {
				panic(err)
			}
			w.Header().Set("Content-Type", runtime.ContentTypeProtobuf)
		} else {
			if err := json.NewEncoder(&b).Encode(obj); err != nil {
				panic(err)
			}
			w.Header().Set("Content-Type", "application/json")
		}
		w.WriteHeader(code)
		w.Write(b.Bytes())
	}
	status := func(err *apierrors.StatusError) {
		st := err.Status()
		st.APIVersion, st.Kind = "v1", "Status"
		write(int(st.Code), &st)
	}
	switch {
	case s.forbid:
		status(apierrors.NewForbidden(schema.GroupResource{Resource: "nodes"}, "", errors.New(`User "nobody" cannot list resource "nodes"`)))
		return
	case expire:
		status(apierrors.NewResourceExpired("The provided continue parameter is too old to display a consistent list result."))
		return
	}
	from := 0
	if c := q.Get("continue"); c != "" {
		fmt.Sscan(c, &from)
	}
	to := len(s.nodes)
	var limit int
	if l := q.Get("limit"); l != "" {
		fmt.Sscan(l, &limit)
		to = min(to, from+limit)
	}
	list := &corev1.NodeList{Items: s.nodes[from:to]}
	list.APIVersion, list.Kind = "v1", "NodeList"
	if to < len(s.nodes) {
		list.Continue = fmt.Sprint(to)
	}
	write(http.StatusOK, list)
}

// connect points a Cluster at srv through a kubeconfig, as strata fleet finds a cluster.
func connect(t *testing.T, srv *httptest.Server) *fleet.Cluster {
	t.Helper()
	kc := filepath.Join(t.TempDir(), "kubeconfig")
	cfg := fmt.Sprintf("apiVersion: v1\nkind: Config\nclusters: [{name: c, cluster: {server: %q}}]\nusers: [{name: u, user: {token: t}}]\ncontexts: [{name: test, context: {cluster: c, user: u}}]\ncurrent-context: test\n", srv.URL)
	if err := os.WriteFile(kc, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	c, err := fleet.Connect(kc, "", 10*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// TestReadNodesPagesAndAnswers: ReadNodes reads every page of nodes, in protobuf or JSON,
// into the same Nodes as ParseNode makes of the objects the server holds; Consistent
// sends no resourceVersion and Cached resourceVersion=0; a continue token that expired
// restarts the list whole (as client-go's pager does) without a node twice; a forbidden
// LIST is a Forbidden naming list nodes.
func TestReadNodesPagesAndAnswers(t *testing.T) {
	var nodes []corev1.Node
	var want []fleet.Node
	for i := range 1234 {
		lbl := map[string]string{fleet.RuntimePrefix + "runc": "true", fleet.LayerPrefix + "L-3": "true", "kubernetes.io/hostname": fmt.Sprint("n-", i)}
		var taints []corev1.Taint
		if i%7 == 0 {
			taints = []corev1.Taint{{Key: "dedicated", Value: "gpu", Effect: corev1.TaintEffectNoSchedule}}
		}
		n := node(fmt.Sprintf("n-%04d", i), lbl, i%5 != 0, taints...)
		n.Status.NodeInfo.KernelVersion = "6.1." + fmt.Sprint(i%3)
		nodes = append(nodes, *n)
		want = append(want, fleet.ParseNode(n))
	}
	for _, tc := range []struct {
		name      string
		srv       *nodeServer
		freshness fleet.Freshness
		queries   []string
	}{
		{"protobuf consistent", &nodeServer{nodes: nodes}, fleet.Consistent, []string{"limit=500&timeout=10s", "continue=500&limit=500&timeout=10s", "continue=1000&limit=500&timeout=10s"}},
		{"protobuf cached", &nodeServer{nodes: nodes}, fleet.Cached, []string{"limit=500&resourceVersion=0&timeout=10s", "continue=500&limit=500&timeout=10s", "continue=1000&limit=500&timeout=10s"}},
		{"json", &nodeServer{nodes: nodes, json: true}, fleet.Consistent, []string{"limit=500&timeout=10s", "continue=500&limit=500&timeout=10s", "continue=1000&limit=500&timeout=10s"}},
		{"expired continue", &nodeServer{nodes: nodes, expireOnce: true}, fleet.Cached, []string{"limit=500&resourceVersion=0&timeout=10s", "continue=500&limit=500&timeout=10s", "resourceVersion=0&timeout=10s"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv := httptest.NewServer(tc.srv)
			defer srv.Close()
			s, err := connect(t, srv).ReadNodes(t.Context(), tc.freshness)
			if err != nil {
				t.Fatal(err)
			}
			if s.Version != "v1.37.2" || len(s.Nodes) != len(want) {
				t.Fatalf("version %q, %d nodes; want v1.37.2, %d", s.Version, len(s.Nodes), len(want))
			}
			for i := range want {
				if !equalNodes(s.Nodes[i], want[i]) {
					t.Fatalf("node %d:\n got  %+v\n want %+v", i, s.Nodes[i], want[i])
				}
			}
			if !slices.Equal(tc.srv.requests, tc.queries) {
				t.Errorf("requests %q, want %q", tc.srv.requests, tc.queries)
			}
		})
	}
	t.Run("forbidden", func(t *testing.T) {
		srv := httptest.NewServer(&nodeServer{nodes: nodes, forbid: true})
		defer srv.Close()
		_, err := connect(t, srv).ReadNodes(t.Context(), fleet.Cached)
		var fb *fleet.Forbidden
		if !errors.As(err, &fb) || fb.Verb != "list" || fb.Resource != "nodes" || !strings.Contains(err.Error(), "may not list nodes cluster-wide") {
			t.Errorf("got %v, want a Forbidden naming list nodes", err)
		}
	})
}

// equalNodes compares what ParseNode reads, taints by content (decoders may leave an
// empty list nil).
func equalNodes(a, b fleet.Node) bool {
	ta, tb := a.Taints, b.Taints
	a.Taints, b.Taints = nil, nil
	ja, _ := json.Marshal(a)
	jb, _ := json.Marshal(b)
	if !bytes.Equal(ja, jb) || len(ta) != len(tb) || fmt.Sprint(a.Labels) != fmt.Sprint(b.Labels) {
		return false
	}
	for i := range ta {
		if !ta[i].MatchTaint(&tb[i]) || ta[i].Value != tb[i].Value {
			return false
		}
	}
	return true
}

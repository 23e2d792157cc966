package server

import (
	"net/http"
	"reflect"
	"strconv"
	"strings"

	"github.com/strata-dev/strata/network"
	"github.com/strata-dev/strata/plan"
	"github.com/strata-dev/strata/reason"
)

// operation is what the OpenAPI document says of a route.
type operation struct {
	id, summary string
	params      []param
	body        bool         // takes Workload documents (read by readBody)
	work        bool         // takes a work slot (see Server.acquire)
	answer      reflect.Type // the 200 body
	files       []string     // media types of a 200 body that is a file to save, instead of answer
	errors      []int
}

// param is a query or path parameter. checkParams holds requests to what it says.
type param struct {
	name, in, description string
	required, array       bool
	maxItems              int  // an array's most items, repeated or comma-separated
	maxLength             int  // most bytes of the value, of each item of an array; 0: MaxParamBytes
	year                  bool // an integer from plan.MinAsOf to plan.MaxAsOf (asOf)
}

func q(name, desc string, required bool) param {
	return param{name: name, in: "query", description: desc, required: required}
}
func qlist(name, desc string, required bool, maxItems int) param {
	return param{name: name, in: "query", description: desc, required: required, array: true, maxItems: maxItems}
}

// asOf is the asOf parameter: a year within the bounds plan.MinAsOf and plan.MaxAsOf,
// which the schema states (the web UI's "as of" fields take their bounds from it).
func asOf() param {
	return param{name: "asOf", in: "query", description: "only technologies that existed in this year", year: true}
}

func p(name, desc string) param {
	return param{name: name, in: "path", description: desc, required: true}
}

func (pr param) maxLen() int {
	if pr.maxLength > 0 {
		return pr.maxLength
	}
	return MaxParamBytes
}

func typeOf[T any]() reflect.Type { return reflect.TypeFor[T]() }

// workloadLimits ends the summary of the operations that take Workload documents.
var workloadLimits = " At most " + strconv.Itoa(MaxWorkloads) + " Workload documents and " + strconv.Itoa(MaxBodyBytes>>20) +
	" MiB per request (413 too-many-workloads or too-large beyond). The Content-Type must be application/yaml or application/json:" +
	" text/plain, forms and a body without a Content-Type are refused (415), as any web page could make a browser send those unasked." +
	" A few requests per CPU are planned at once; the rest wait their turn (503 busy if they give up)."

var (
	opOpenAPI = operation{id: "openapi", summary: "This document.", answer: typeOf[map[string]any]()}
	opNetwork = operation{id: "getNetwork", summary: "The whole network as declared: entities, dimensions, relation types, facts, and which relations are orders. The facts the reasoner derives are /api/v1/network/derived.",
		answer: typeOf[networkDoc]()}
	opNetworkDerived = operation{id: "getDerivedFacts", summary: "The facts the reasoner derives (the closure of every order, less what is declared), relation by relation: at most " + strconv.Itoa(MaxDerived) + " (truncated says when there are more; /api/v1/entities/{name} gives all of one entity's). Encoded on the first request for each network generation.",
		answer: typeOf[DerivedFacts](), work: true}
	opNetworkStatus = operation{id: "getNetworkStatus", summary: "Which network is served (its generation, when it was loaded) and the problems of the files as they are now; with --watch, while they have problems the last good network stays served (stale). Poll it with If-None-Match: it answers 304 until something changes.",
		answer: typeOf[NetworkStatus]()}
	opEntities = operation{id: "searchEntities", summary: "List or search entities by id, English or Chinese name, or alias (exact matches first, then prefixes, then substrings).",
		params: []param{q("q", "search text, e.g. 容器, container or L-3", false), q("category", "only this category", false),
			q("dimension", "only values of this dimension", false), q("limit", "at most this many (default 50)", false)},
		answer: typeOf[EntityList](), errors: []int{400}, work: true}
	opEntity = operation{id: "getEntity", summary: "One entity by id, name or alias, with every fact about it, declared and derived.",
		params: []param{p("name", "id, English or Chinese name, or alias")}, answer: typeOf[EntityAnswer](), errors: []int{400, 404}, work: true}
	opCompare = operation{id: "compare", summary: "Compare A and B under every order that relates them, with the facts behind each verdict.",
		params: []param{q("a", "an entity", true), q("b", "an entity", true)}, answer: typeOf[CompareAnswer](), errors: []int{400, 404}, work: true}
	opWhy = operation{id: "why", summary: "Explain A op B: the declared facts it follows from, or what holds instead.",
		params: []param{q("a", "an entity", true), q("op", "one of >, <, = or →", true), q("b", "an entity", true),
			q("relation", "one relation type (default: every order relating A and B)", false)},
		answer: typeOf[WhyAnswer](), errors: []int{400, 404}, work: true}
	opRank = operation{id: "rank", summary: "An order's values in layers, greatest first, ties together.",
		params: []param{p("relation", "a transitive relation type, e.g. isolation-strength")}, answer: typeOf[RankAnswer](), errors: []int{400, 404}, work: true}
	opPath = operation{id: "path", summary: "The shortest chain of declared facts from one entity to another.",
		params: []param{q("from", "an entity", true), q("to", "an entity", true), q("relation", "follow only this relation type", false)},
		answer: typeOf[PathAnswer](), errors: []int{400, 404}, work: true}
	opPareto = operation{id: "pareto", summary: "The Pareto front over several orders.",
		params: []param{qlist("criteria", "RELATION:max or RELATION:min, repeated or comma-separated; a repeated criterion counts once", true, MaxCriteria),
			qlist("among", "candidate entities (default: the values of the criteria's orders), repeated or comma-separated; an entity named twice counts once", false, MaxAmong)},
		answer: typeOf[reason.Front](), errors: []int{400, 404}, work: true}
	opContradictions = operation{id: "contradictions", summary: "Facts that contradict the orders' properties, each with its source.",
		answer: typeOf[ContradictionList](), work: true}
	opPlanGet = operation{id: "planScenario", summary: "Plan one of the network's scenarios from its key requirements.",
		params: []param{q("scenario", "a scenario, e.g. edge", true), asOf()},
		answer: typeOf[PlanAnswer](), errors: []int{400, 404, 422, 503}, work: true}
	opPlanPost = operation{id: "planWorkload", summary: "Plan the Workload documents in the body (YAML, or the same document as JSON)." + workloadLimits,
		params: []param{asOf()}, body: true, work: true,
		answer: typeOf[PlanAnswer](), errors: []int{400, 413, 415, 422, 503}}
	manifestParams = []param{
		{name: "image", in: "query", description: "the image to run when the workload names none (scenarios name none)", maxLength: MaxImageBytes},
		q("namespace", "the namespace of the objects (default: default)", false),
		q("format", "tar (default): a .tar.gz with one file per object, as strata plan --emit writes; yaml: the cluster objects as one YAML stream for kubectl apply -f -", false),
		q("containerdConfigVersion", "2 (containerd 1.x, default) or 3 (containerd 2.x)", false),
		asOf(),
	}
	opManifestsGet = operation{id: "manifestsScenario", summary: "The Kubernetes/K3s files that enforce a scenario's plan (RuntimeClass, workload, Gatekeeper policy, containerd config, observability).",
		params: append([]param{q("scenario", "a scenario, e.g. edge", true)}, manifestParams...),
		files:  []string{mediaTarGz, mediaYAML}, errors: []int{400, 404, 422, 503}, work: true}
	opManifestsPost = operation{id: "manifestsWorkload", summary: "The Kubernetes/K3s files that enforce the plans of the Workload documents in the body." + workloadLimits,
		params: manifestParams, body: true, work: true, files: []string{mediaTarGz, mediaYAML}, errors: []int{400, 413, 415, 422, 503}}
	opScenarios = operation{id: "scenarios", summary: "The seed's scenario table, recomputed by the planner beside what the network declares.",
		answer: typeOf[[]plan.ScenarioRow](), errors: []int{503}, work: true}
	opCoordinates = operation{id: "coordinates", summary: "Place a stack in the X/Y/Z space.",
		params: []param{qlist("stack", "technologies, repeated, comma- or +-separated; a technology named twice counts once", true, MaxStack)}, answer: typeOf[plan.Placement](), errors: []int{400, 404}, work: true}
	opResults = operation{id: "listResults", summary: "The probe and bench result files given with --results, each with its kind (probe, bench or unknown), read from disk on each request.",
		answer: typeOf[ResultList](), work: true}
	opResult = operation{id: "getResult", summary: "One results file as it is on disk (at most " + strconv.Itoa(MaxResultBytes>>20) + " MiB; 500 when it is larger or not JSON).",
		params: []param{p("name", "the file's base name")}, answer: typeOf[any](), errors: []int{404, 500}, work: true}
	opResultChart = operation{id: "getResultChart", summary: "A bench results file drawn as the SVG chart of strata bench --chart: start-up time per driver and overhead against native (400 not-bench-results for other files).",
		params: []param{p("name", "the base name of a strata bench -o json file")}, files: []string{mediaSVG}, errors: []int{400, 404, 500}, work: true}
)

// openAPIDocument describes the routes the server registers; schemas come from the Go
// types the handlers encode, so the document cannot drift from the answers.
func openAPIDocument(s *Server) map[string]any {
	schemas := map[string]any{}
	paths := map[string]any{}
	for _, rt := range s.apiRoutes() {
		op := rt.op
		o := map[string]any{"operationId": op.id, "summary": op.summary}
		var ps []any
		for _, pr := range op.params {
			sch := map[string]any{"type": "string", "maxLength": pr.maxLen()}
			if pr.year {
				sch = map[string]any{"type": "integer", "minimum": plan.MinAsOf, "maximum": plan.MaxAsOf}
			}
			if pr.array {
				sch = map[string]any{"type": "array", "maxItems": pr.maxItems, "items": sch}
			}
			x := map[string]any{"name": pr.name, "in": pr.in, "required": pr.required, "description": pr.description, "schema": sch}
			if pr.array {
				x["style"], x["explode"] = "form", true
			}
			ps = append(ps, x)
		}
		if len(ps) > 0 {
			o["parameters"] = ps
		}
		if op.body {
			o["requestBody"] = map[string]any{"required": true, "content": map[string]any{
				"application/yaml": map[string]any{"schema": map[string]any{"type": "string", "description": "Workload documents (apiVersion: " + network.APIVersion + ", kind: Workload)"}},
				"application/json": map[string]any{"schema": map[string]any{"type": "object", "description": "one Workload document written as JSON"}},
			}}
		}
		ok := map[string]any{}
		if len(op.files) > 0 {
			for _, m := range op.files {
				ok[m] = map[string]any{"schema": map[string]any{"type": "string", "format": "binary"}}
			}
		} else {
			ok["application/json"] = map[string]any{"schema": schemaOf(op.answer, schemas)}
		}
		resp := map[string]any{"200": map[string]any{"description": "OK", "content": ok}}
		// 400: checkParams; 421: a Host header the server does not answer to (hostPolicy).
		codes := append([]int{http.StatusBadRequest, http.StatusMethodNotAllowed, http.StatusMisdirectedRequest}, op.errors...)
		if op.work {
			codes = append(codes, http.StatusServiceUnavailable)
		}
		for _, code := range codes {
			resp[itoa(code)] = map[string]any{"description": http.StatusText(code), "content": map[string]any{
				"application/json": map[string]any{"schema": map[string]any{"$ref": "#/components/schemas/Error"}}}}
		}
		o["responses"] = resp
		path := rt.pattern
		item, _ := paths[path].(map[string]any)
		if item == nil {
			item = map[string]any{}
			paths[path] = item
		}
		item[strings.ToLower(rt.method)] = o
	}
	errSchema := schemaOf(reflect.TypeFor[apiError](), schemas)
	schemas["Error"] = map[string]any{"type": "object", "required": []string{"error"}, "properties": map[string]any{"error": errSchema}}
	return map[string]any{
		"openapi": "3.0.3",
		"info": map[string]any{"title": "strata API", "version": "v1" + versionSuffix(s.version),
			"description": "The relation network of the cloud-native stack: entities, facts, the reasoner's answers and the planner's plans. Errors are {\"error\": {status, code, message, ...}}."},
		"servers":    []any{map[string]any{"url": "/"}},
		"paths":      paths,
		"components": map[string]any{"schemas": schemas},
	}
}

func versionSuffix(v string) string {
	if v == "" {
		return ""
	}
	return " (strata " + v + ")"
}

func itoa(n int) string { return strconv.Itoa(n) }

// schemaOf is the JSON schema of what encoding/json writes for t. Named struct types go
// to components and are referenced.
func schemaOf(t reflect.Type, defs map[string]any) map[string]any {
	switch t.Kind() {
	case reflect.Pointer:
		return schemaOf(t.Elem(), defs)
	case reflect.String:
		return map[string]any{"type": "string"}
	case reflect.Bool:
		return map[string]any{"type": "boolean"}
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64, reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return map[string]any{"type": "integer"}
	case reflect.Float32, reflect.Float64:
		return map[string]any{"type": "number"}
	case reflect.Slice, reflect.Array:
		return map[string]any{"type": "array", "items": schemaOf(t.Elem(), defs)}
	case reflect.Map:
		return map[string]any{"type": "object", "additionalProperties": schemaOf(t.Elem(), defs)}
	case reflect.Interface:
		return map[string]any{}
	case reflect.Struct:
	default:
		return map[string]any{}
	}
	name := ""
	if t.Name() != "" {
		name = strings.ToUpper(t.Name()[:1]) + t.Name()[1:]
		// network.Pos and network.Problem are network/yamlpos's types under network's name.
		if pkg := t.PkgPath(); (strings.HasSuffix(pkg, "/network") || strings.HasSuffix(pkg, "/network/yamlpos")) && name != "Network" {
			name = "Network" + name
		}
		if _, ok := defs[name]; ok {
			return map[string]any{"$ref": "#/components/schemas/" + name}
		}
		defs[name] = map[string]any{} // placeholder against recursion
	}
	props := map[string]any{}
	var required []string
	var walk func(t reflect.Type)
	walk = func(t reflect.Type) {
		for i := range t.NumField() {
			f := t.Field(i)
			tag := f.Tag.Get("json")
			if tag == "-" || (!f.IsExported() && !f.Anonymous) {
				continue
			}
			fname, opts, _ := strings.Cut(tag, ",")
			if f.Anonymous && fname == "" {
				ft := f.Type
				if ft.Kind() == reflect.Pointer {
					ft = ft.Elem()
				}
				if ft.Kind() == reflect.Struct {
					walk(ft)
					continue
				}
			}
			if !f.IsExported() {
				continue
			}
			if fname == "" {
				fname = f.Name
			}
			props[fname] = schemaOf(f.Type, defs)
			if !strings.Contains(opts, "omitempty") {
				required = append(required, fname)
			}
		}
	}
	walk(t)
	sch := map[string]any{"type": "object", "properties": props}
	if len(required) > 0 {
		sch["required"] = required
	}
	if name == "" {
		return sch
	}
	defs[name] = sch
	return map[string]any{"$ref": "#/components/schemas/" + name}
}

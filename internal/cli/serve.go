package cli

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"os"
	"os/signal"
	"runtime/debug"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"github.com/strata-dev/strata/internal/server"
	"github.com/strata-dev/strata/internal/telemetry"
)

func (a *app) serveCommand() *cobra.Command {
	var listen, logLevel string
	var results, allowedHosts []string
	var shutdownDelay, debounce time.Duration
	var watch bool
	var maxConns int
	cmd := &cobra.Command{
		Use:   "serve",
		Short: "Serve the web UI, the JSON API (/api/v1) and /metrics",
		Long: `Serve the network over HTTP: the web UI (explorer, matrices, planner, results), the
JSON API under /api/v1 (described at /api/v1/openapi.json), /healthz, /readyz and
Prometheus metrics at /metrics. It binds loopback unless --web.listen-address says
otherwise, and stops gracefully on SIGINT or SIGTERM: /readyz answers 503 at once, it
keeps serving for --web.shutdown-delay, then finishes the requests in flight (for up to
10s) and exits. Behind Kubernetes or a load balancer, set the delay to a few seconds, more
than the readiness probe's period, so that no new request meets a closed port.

  strata serve                      # http://127.0.0.1:8080
  strata serve --web.listen-address :9090 --results probe.json --results bench.json
  strata serve --web.listen-address :8080 --web.shutdown-delay 5s   # in a Kubernetes pod
  strata serve --network kb/ --watch  # reload as the Markdown or YAML files change

It answers only to requests whose Host header names it, so that a web page whose DNS
name rebinds to this machine cannot read it: on loopback to localhost, 127.0.0.1 and
[::1]; listening on every address, to any IP address, localhost and the host name. Behind
a Service, an Ingress or a proxy, name the host names clients use with
--web.allowed-hosts (or '*' for any).

Traces go out by OTLP when the standard OTEL_EXPORTER_OTLP_ENDPOINT (or
OTEL_EXPORTER_OTLP_TRACES_ENDPOINT) is set; OTEL_EXPORTER_OTLP_PROTOCOL picks
http/protobuf (the default) or grpc. Logs are JSON lines on stderr with trace_id and
span_id.`,
		// Examples that the help-example test skips (it names the user's own file, or an
		// environment): a server runs until it is stopped. The plain forms are in Long.
		Example: `  strata serve --network my-network.yaml --results bench.json
  OTEL_EXPORTER_OTLP_ENDPOINT=http://localhost:4318 strata serve`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			var level slog.Level
			if err := level.UnmarshalText([]byte(logLevel)); err != nil {
				return usagef("--log.level %q: use debug, info, warn or error", logLevel)
			}
			if maxConns < 1 {
				return usagef("--web.max-connections %d: use 1 or more", maxConns)
			}
			if shutdownDelay < 0 {
				return usagef("--web.shutdown-delay %v: use a duration of 0 or more, e.g. 5s", shutdownDelay)
			}
			if watch && len(a.networks) == 0 {
				return usagef("--watch follows the --network files and directories; name at least one")
			}
			if debounce <= 0 {
				return usagef("--watch.debounce %v: use a duration above 0, e.g. 200ms", debounce)
			}
			for _, f := range results {
				if _, err := os.Stat(f); err != nil {
					return usagef("--results: %v", err)
				}
			}
			p, err := a.planner()
			if err != nil {
				return err
			}
			ctx, stop := signal.NotifyContext(cmd.Context(), os.Interrupt, syscall.SIGTERM)
			defer stop()
			version := buildVersion()
			log := telemetry.NewLogger(a.stderr, level)
			tp, shutdown, err := telemetry.Tracing(ctx, version)
			if err != nil {
				return usageError{err}
			}
			defer func() {
				sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), server.ShutdownTimeout)
				defer cancel()
				if err := shutdown(sctx); err != nil {
					log.Warn("flush traces", "error", err)
				}
			}()
			srv, err := server.New(server.Config{Reasoner: a.rsn, Planner: p, Results: results, Version: version, Logger: log, TracerProvider: tp,
				ShutdownDelay: shutdownDelay, AllowedHosts: allowedHosts, MaxConnections: maxConns})
			if err != nil {
				return usageError{err}
			}
			ln, err := net.Listen("tcp", listen)
			if err != nil {
				return fmt.Errorf("--web.listen-address: %w", err)
			}
			if !watch {
				fmt.Fprintf(a.stdout, "strata serve: http://%s\n", ln.Addr())
				return srv.Serve(ctx, ln)
			}
			wctx, stopWatch := context.WithCancel(ctx)
			watched := make(chan error, 1)
			ready := make(chan struct{})
			go func() {
				watched <- watchFiles(wctx, a.networks, debounce, log, ready, func() { a.reloadInto(wctx, srv, log) })
			}()
			// The address is said once the files are watched, so that an edit made as
			// soon as the server answers is seen.
			select {
			case <-ready:
			case err := <-watched:
				stopWatch()
				ln.Close()
				return err
			}
			fmt.Fprintf(a.stdout, "strata serve: http://%s\n", ln.Addr())
			err = srv.Serve(ctx, ln)
			stopWatch()
			if werr := <-watched; err == nil {
				err = werr
			}
			return err
		},
	}
	f := cmd.Flags()
	f.StringVar(&listen, "web.listen-address", "127.0.0.1:8080", "`address` to listen on for the UI, the API and /metrics")
	f.StringArrayVar(&results, "results", nil, "probe or bench results JSON `FILE` to show (repeatable; read on each request)")
	f.StringVar(&logLevel, "log.level", "info", "log `level`: debug, info, warn or error")
	f.StringSliceVar(&allowedHosts, "web.allowed-hosts", nil, "host `names` (or IP addresses) the server answers to, comma-separated or repeated; '*' for any (default: those of --web.listen-address: localhost, 127.0.0.1 and ::1 on loopback)")
	f.IntVar(&maxConns, "web.max-connections", server.DefaultMaxConnections, "`number` of connections kept open at once; more wait to be accepted")
	f.DurationVar(&shutdownDelay, "web.shutdown-delay", 0, "`duration` to keep serving after SIGINT or SIGTERM while /readyz answers 503 (default 0; a few seconds behind Kubernetes)")
	f.BoolVar(&watch, "watch", false, "reload the --network files and directories when they change; while they have problems keep serving the last good network and report the problems at /api/v1/network/status and in the UI")
	f.DurationVar(&debounce, "watch.debounce", 200*time.Millisecond, "with --watch, wait until the files have been quiet for this `duration` before reloading (an editor's save is a burst of events)")
	return cmd
}

// buildVersion is the module version the binary was built from, or "devel".
func buildVersion() string {
	if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
		return bi.Main.Version
	}
	return "devel"
}

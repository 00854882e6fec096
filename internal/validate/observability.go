package validate

import (
	"net/url"

	"github.com/harborgen/harborgen/internal/profile"
)

// observability checks [harbor.metric], [harbor.trace] and [harbor.log]
// beyond the schema: the Harbor release has them, and a trace exporter is
// complete, as Harbor's prepare requires (make/photon/prepare/models.py).
func observability(c *check) {
	v := c.s.Harbor.Version
	if profile.ForVersion(v) == nil {
		return // reported by version
	}
	h := &c.s.Harbor
	tooOld := func(path string, f profile.Feature) {
		c.errorf(path, "remove it, or use Harbor "+f.Since+" or later (profile 2: 2.10 or later)",
			"harbor.yml's %s needs Harbor %s or later; this spec has %s", f.Name, f.Since, v)
	}
	if h.Metric.Enabled && !profile.Has(v, profile.Metric) {
		tooOld(c.first("harbor.metric.enabled", "harbor.metric"), profile.Metric)
	} else if h.Metric.Enabled && h.Metric.Path != "/metrics" && c.s.Source.Has("harbor.metric.path") {
		// prepare's exporter env has HARBOR_EXPORTER_METRICS_PATH=/metrics
		// whatever the path, and the proxy passes the request URI unchanged.
		c.warnf("harbor.metric.path", `keep path = "/metrics" to scrape the exporter through the proxy; the components answer at any path`,
			"Harbor's exporter serves /metrics only: %s without ?comp= reaches it and gets 404 (as with Harbor's own prepare)", h.Metric.Path)
	}
	if h.Trace.Enabled && !profile.Has(v, profile.Trace) {
		tooOld(c.first("harbor.trace.enabled", "harbor.trace"), profile.Trace)
	} else if h.Trace.Enabled {
		traceExporter(c)
	}
	if c.s.Source.Has("harbor.log.level") && !profile.Has(v, profile.LogLevel) {
		tooOld("harbor.log.level", profile.LogLevel)
	}
	if ep := h.Log.ExternalEndpoint; ep != nil {
		if !profile.Has(v, profile.LogExternalEndpoint) {
			tooOld("harbor.log.external_endpoint", profile.LogExternalEndpoint)
		} else if !validHost(ep.Host) {
			c.errorf("harbor.log.external_endpoint.host", "write a host name or an IP address, e.g. syslog.example.com",
				"%q is not a host name or IP address", ep.Host)
		}
	}
}

// traceExporter: with tracing on, exactly one exporter, and a Jaeger
// exporter is a collector endpoint or an agent, not both.
func traceExporter(c *check) {
	t := &c.s.Harbor.Trace
	switch {
	case t.Jaeger == nil && t.Otel == nil:
		c.errorf(c.first("harbor.trace.enabled", "harbor.trace"),
			"add [harbor.trace.jaeger] (endpoint, or agent_host and agent_port) or [harbor.trace.otel] (endpoint and url_path), or set enabled = false",
			"tracing is enabled but no exporter is set (Harbor's prepare refuses it)")
	case t.Jaeger != nil && t.Otel != nil:
		c.errorf("harbor.trace.otel", "keep [harbor.trace.jaeger] or [harbor.trace.otel], not both",
			"tracing can use one exporter at a time, and both jaeger and otel are set")
	case t.Jaeger != nil:
		j := t.Jaeger
		switch {
		case j.Endpoint == "" && j.AgentHost == "":
			c.errorf("harbor.trace.jaeger",
				"set endpoint (a collector, e.g. http://jaeger.example.com:14268/api/traces), or agent_host and agent_port",
				"the Jaeger exporter has neither a collector endpoint nor an agent host")
		case j.Endpoint != "" && j.AgentHost != "":
			c.errorf("harbor.trace.jaeger.agent_host", "keep endpoint (collector mode) or agent_host and agent_port (agent mode), not both",
				"the Jaeger exporter has both a collector endpoint and an agent host")
		case j.Endpoint != "":
			if u, err := url.Parse(j.Endpoint); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
				c.errorf("harbor.trace.jaeger.endpoint", "write the collector's http(s) URL, e.g. http://jaeger.example.com:14268/api/traces",
					"%q is not an http or https URL", j.Endpoint)
			}
		default:
			if !validHost(j.AgentHost) {
				c.errorf("harbor.trace.jaeger.agent_host", "write a host name or an IP address",
					"%q is not a host name or IP address", j.AgentHost)
			}
			if j.AgentPort == 0 && !c.s.Source.Has("harbor.trace.jaeger.agent_port") {
				c.errorf("harbor.trace.jaeger", "add agent_port, e.g. 6831 (jaeger.thrift in compact mode)",
					"the Jaeger agent host has no agent_port")
			}
		}
		if j.Username != "" && j.Endpoint == "" && j.AgentHost != "" {
			c.warnf("harbor.trace.jaeger.username", "remove username, or use a collector endpoint",
				"a Jaeger agent takes no user: username is only sent to a collector endpoint")
		}
	}
}

package validate

import (
	"strings"

	"github.com/harborgen/harborgen/internal/plan"
)

// pinnedTag finds an exact release (x.y.z) in a tag such as 7.2.11 or
// 10.11.18-jammy.
var pinnedTag = lazy(`(^|[^0-9.])[0-9]+\.[0-9]+\.[0-9]+($|[^0-9.])`)

// pinnedMajorMinor finds an exact PostgreSQL release (x.y, e.g. 15.14 or
// 15.14-bookworm); a bare major (15) floats.
var pinnedMajorMinor = lazy(`^[0-9]+\.[0-9]+($|[^0-9.])`)

// images checks the [images] table beyond the schema's reference grammar:
// a mirror that names no registry host, and an override that floats.
func images(c *check) {
	im := &c.s.Images
	if m := im.Mirror; m != "" {
		if host, ok := registryHost(m); !ok {
			c.warnf("images.mirror", "write the mirror's host first, e.g. mirror.corp.example/hub or mirror.local:5000/hub",
				"%q names no registry host: Docker reads %s/... as a path on Docker Hub", m, host)
		}
		if r := c.s.Harbor.ImageRegistry; r != "" {
			if _, ok := registryHost(r); !ok {
				c.warnf("harbor.image_registry", "remove harbor.image_registry, or point it at the mirror, e.g. "+m+"/goharbor",
					"Harbor's images still come from Docker Hub (%s/...): harbor.image_registry wins over images.mirror", r)
			}
		}
	}
	if im.Mirror != "" && im.Etcd == "" && len(plan.EtcdNodes(c.s)) > 0 {
		c.warnf("images.mirror", `set images.etcd to the mirror's copy, e.g. "`+im.Mirror+`/coreos/etcd:<tag>"`,
			"etcd's image comes from quay.io, which a mirror of Docker Hub does not serve: the etcd nodes still pull it from quay.io")
	}
	for _, key := range []string{"galera", "redis", "nginx", "haproxy", "postgres", "etcd"} {
		ref := im.Override(key)
		if ref == "" || strings.Contains(ref, "@sha256:") {
			continue
		}
		tag := ref[strings.LastIndex(ref, ":")+1:]
		pinned, example := pinnedTag, "7.2.11"
		if key == "postgres" { // PostgreSQL numbers its releases major.minor
			pinned, example = pinnedMajorMinor, "15.14"
		}
		if !pinned.MatchString(tag) {
			c.warnf("images."+key, "pin an exact release such as "+example+", or a digest (@sha256:...)",
				"the tag %q floats: two renders of this spec can deploy different bits", tag)
		}
	}
}

// registryHost returns the first component of an image prefix and whether
// Docker reads it as a registry host (it has a '.' or a ':', or is
// localhost) rather than a Docker Hub path.
func registryHost(prefix string) (string, bool) {
	host, _, _ := strings.Cut(prefix, "/")
	return host, strings.ContainsAny(host, ".:") || host == "localhost"
}

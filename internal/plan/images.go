package plan

import (
	"strconv"

	"github.com/harborgen/harborgen/internal/profile"
	"github.com/harborgen/harborgen/internal/spec"
)

// images are the references a cluster's services run: the tier images of
// templates/tiers/images.toml and Harbor's components, each under the
// spec's mirror unless the spec names it outright.
type images struct {
	tier           map[string]string // by image key: galera, redis, nginx, ...
	harbor         []profile.Component
	harborRegistry string
	// postgres is the postgres image of the spec's PostgreSQL major, which
	// patroni/Dockerfile builds on (engine patroni).
	postgres string
}

// imageRefs resolves every image once: images.<key> replaces a tier image
// whole; else images.mirror prefixes it. Harbor's images take
// harbor.image_registry, else the mirror before the profile's prefix
// (mirror/goharbor), else the profile's prefix.
func imageRefs(s *spec.Spec, prof *profile.Profile) (*images, error) {
	all, err := profile.Images()
	if err != nil {
		return nil, err
	}
	out := &images{tier: make(map[string]string, len(all)), harbor: prof.Components}
	for _, im := range all {
		ref := s.Images.Override(im.Key)
		if ref == "" {
			ref = im.Ref(s.Images.Mirror)
		}
		out.tier[im.Key] = ref
	}
	if major := PostgresVersion(s, prof); major != 0 {
		out.postgres = out.tier["postgres"+strconv.Itoa(major)]
	}
	switch {
	case s.Harbor.ImageRegistry != "":
		out.harborRegistry = s.Harbor.ImageRegistry
	case s.Images.Mirror != "":
		out.harborRegistry = s.Images.Mirror + "/" + prof.ImageRegistry
	default:
		out.harborRegistry = prof.ImageRegistry
	}
	return out, nil
}

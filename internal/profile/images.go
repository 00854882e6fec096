package profile

import (
	"fmt"
	"io/fs"
	"regexp"
	"sort"
	"strings"
	"sync"

	"github.com/BurntSushi/toml"

	"github.com/harborgen/harborgen/templates"
)

// ImagesFile holds the pinned images of the backing tiers.
const ImagesFile = "tiers/images.toml"

// Image is one pinned upstream image of a backing tier.
type Image struct {
	Key  string `toml:"-"`    // the spec's images.<key> and the data's [image.<key>]
	Name string `toml:"name"` // as Docker Hub names it: "redis", "osixia/keepalived"
	Tag  string `toml:"tag"`  // an exact release, x.y.z (or vx.y.z)
	// Versioning "major.minor": the project numbers its releases x.y, each
	// an exact release (PostgreSQL since 10), so x.y is pinned.
	Versioning string `toml:"versioning"`
}

// IsPinned reports whether the tag names one exact release.
func (im Image) IsPinned() bool {
	if im.Versioning == "major.minor" {
		return pinnedMajorMinor.MatchString(im.Tag)
	}
	return Pinned.MatchString(im.Tag)
}

// Ref is the image's reference, under a mirror when one is given. An
// official image (a name without "/") lives under library/ on Docker Hub,
// and a mirror serves it at that path: mirror/library/NAME:TAG.
//
// An image of another registry (its name starts with a host, quay.io/...)
// keeps its reference: a mirror of Docker Hub does not serve it, and the
// spec's images.<key> names the site's copy.
func (im Image) Ref(mirror string) string {
	if mirror == "" || im.OtherRegistry() {
		return im.Name + ":" + im.Tag
	}
	name := im.Name
	if !strings.Contains(name, "/") {
		name = "library/" + name
	}
	return strings.TrimSuffix(mirror, "/") + "/" + name + ":" + im.Tag
}

// OtherRegistry reports whether the image is on a registry other than
// Docker Hub: its first path component is a host (has a dot or a port).
func (im Image) OtherRegistry() bool {
	first, _, ok := strings.Cut(im.Name, "/")
	return ok && strings.ContainsAny(first, ".:")
}

// Pinned matches an exact release tag, x.y.z (etcd writes vx.y.z).
var Pinned = regexp.MustCompile(`^v?[0-9]+\.[0-9]+\.[0-9]+$`)

var pinnedMajorMinor = regexp.MustCompile(`^[0-9]+\.[0-9]+$`)

var (
	imagesOnce sync.Once
	images     []Image
	imagesErr  error
)

// Images returns the tier images, sorted by key. It fails only if the
// embedded data is broken, which is a build defect.
func Images() ([]Image, error) {
	imagesOnce.Do(func() { images, imagesErr = loadImages(templates.FS) })
	return images, imagesErr
}

// TierImage returns the tier image of a key (galera, redis, nginx, ...).
func TierImage(key string) (Image, error) {
	all, err := Images()
	if err != nil {
		return Image{}, err
	}
	for _, im := range all {
		if im.Key == key {
			return im, nil
		}
	}
	return Image{}, fmt.Errorf("%s: no image %q", ImagesFile, key)
}

func loadImages(fsys fs.FS) ([]Image, error) {
	data, err := fs.ReadFile(fsys, ImagesFile)
	if err != nil {
		return nil, fmt.Errorf("read images: %w", err)
	}
	var doc struct {
		Image map[string]Image `toml:"image"`
	}
	meta, err := toml.Decode(string(data), &doc)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", ImagesFile, err)
	}
	if undecoded := meta.Undecoded(); len(undecoded) > 0 {
		return nil, fmt.Errorf("%s: unknown key %s", ImagesFile, undecoded[0])
	}
	out := make([]Image, 0, len(doc.Image))
	for key, im := range doc.Image {
		im.Key = key
		if im.Name == "" || !im.IsPinned() {
			return nil, fmt.Errorf("%s: image %s: want a name and an exact x.y.z tag, got %q:%q", ImagesFile, key, im.Name, im.Tag)
		}
		out = append(out, im)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Key < out[j].Key })
	return out, nil
}

package validate

import (
	"net/netip"
	"net/url"
	"path"
	"strings"

	"github.com/harborgen/harborgen/internal/spec"
)

// storage checks each scope's registry storage: exactly the table of its
// driver, usable URLs and names, and a shared filesystem for several nodes.
func storage(c *check) {
	for _, sc := range c.s.Scopes() {
		storageScope(c, &sc)
	}
}

func storageScope(c *check, sc *spec.Scope) {
	st, base, label := &sc.Storage, sc.StoragePath, where(sc)
	tables := map[string]bool{"swift": st.Swift != nil, "s3": st.S3 != nil, "filesystem": st.Filesystem != nil}
	for _, name := range []string{"swift", "s3", "filesystem"} {
		switch {
		case name == st.Driver && !tables[name]:
			c.errorf(base+".driver", "add a ["+base+"."+name+"] table", "%sdriver %s needs a [%s.%s] table", label, name, base, name)
		case name != st.Driver && tables[name] && st.Driver != "":
			c.errorf(base+"."+name, "remove it, or set driver = \""+name+"\"", "%s[%s.%s] is given but driver is %s", label, base, name, st.Driver)
		}
	}
	if st.RGW != nil {
		if st.Driver == "filesystem" {
			c.errorf(base+".rgw", `remove [storage.rgw], or use driver "swift" or "s3"`, "%sthe radosgw user is for driver swift or s3", label)
		}
		checkSize(c, base+".rgw.max_size", st.RGW.MaxSize)
	}
	switch {
	case st.Driver == "swift" && st.Swift != nil:
		checkURL(c, base+".swift.auth_url", st.Swift.AuthURL)
		if u, err := url.Parse(st.Swift.AuthURL); err == nil && st.Swift.AuthURL != "" && !strings.Contains(u.Path, "v1") {
			c.warnf(base+".swift.auth_url", "for Ceph radosgw use http://HOST:7480/auth/v1.0",
				"%sthe registry's Swift driver only uses auth v1 when the URL says v1", label)
		}
		if ct := st.Swift.Container; ct != "" && (strings.Contains(ct, "/") || len(ct) > 256) {
			c.errorf(base+".swift.container", "use at most 256 bytes and no '/'", "%s%q is not a valid Swift container name", label, ct)
		}
	case st.Driver == "s3" && st.S3 != nil:
		checkURL(c, base+".s3.endpoint", st.S3.Endpoint)
		if b := st.S3.Bucket; b != "" && !validBucket(b) {
			c.errorf(base+".s3.bucket", "use 3-63 lowercase letters, digits, '.' and '-', starting and ending with a letter or digit",
				"%s%q is not a valid S3 bucket name", label, b)
		}
	case st.Driver == "filesystem" && st.Filesystem != nil:
		fs := st.Filesystem
		if fs.Path != "" && (!path.IsAbs(fs.Path) || path.Clean(fs.Path) != fs.Path) {
			c.errorf(base+".filesystem.path", "write a clean absolute path such as /mnt/cephfs/harbor/registry", "%s%q is not a clean absolute path", label, fs.Path)
		}
		if n := len(sc.WithRole(spec.RoleHarbor)); n >= 2 && !fs.Shared {
			c.errorf(c.first(base+".filesystem.shared", base+".filesystem"),
				"mount a shared filesystem (CephFS, NFS) at the path on every harbor node and set shared = true",
				"%s%d harbor nodes store images here: the path must be a shared mount", label, n)
		}
		if fs.Shared {
			perNodeDirs(c, fs.Path, base+".filesystem.path")
		}
	}
}

// perNodeDirs rejects a per-node directory on the shared mount: every node
// would write the same logs, job state and database files.
func perNodeDirs(c *check, shared, sharedPath string) {
	if shared == "" {
		return
	}
	dirs := []struct{ key, value string }{{"harbor.data_dir", c.s.Harbor.DataDir}, {"harbor.log_dir", c.s.Harbor.LogDir}, {"redis.data_dir", c.s.Redis.DataDir}}
	if g := c.s.Database.Galera; g != nil {
		dirs = append(dirs, struct{ key, value string }{"database.galera.data_dir", g.DataDir})
	}
	for _, d := range dirs {
		if d.value == shared || strings.HasPrefix(d.value, strings.TrimSuffix(shared, "/")+"/") {
			c.errorf(c.first(d.key, sharedPath), "keep "+d.key+" on each node's local disk, outside "+shared,
				"%q is on the shared mount %s (%s): every node would write the same files", d.value, shared, sharedPath)
		}
	}
}

func checkURL(c *check, p, raw string) {
	if raw == "" {
		return
	}
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.User != nil {
		c.errorf(p, "write an http:// or https:// URL with a host, e.g. http://10.32.3.70:7480", "%q is not an http(s) URL", raw)
	}
}

var bucketName = lazy(`^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$`)

func validBucket(b string) bool {
	if !bucketName.MatchString(b) || strings.Contains(b, "..") || strings.HasPrefix(b, "xn--") {
		return false
	}
	_, err := netip.ParseAddr(b)
	return err != nil
}

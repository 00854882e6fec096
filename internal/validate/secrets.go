package validate

import (
	"fmt"
	"slices"
	"sort"
	"strings"

	"github.com/harborgen/harborgen/internal/diag"
	"github.com/harborgen/harborgen/internal/secrets"
	"github.com/harborgen/harborgen/internal/spec"
)

// checkSecrets checks that every secret the spec needs is in the secrets
// file or the environment, and usable.
func checkSecrets(c *check, f *secrets.File, env func(string) (string, bool)) {
	needs := secrets.Required(c.s)
	at := func(name string) diag.Pos {
		return diag.Pos{File: f.Path, Line: max(f.Lines[name], 1), Col: 1}
	}
	for _, n := range needs {
		path := "secrets." + n.Name
		v, fromEnv, ok := f.Lookup(n.Name, env)
		if !ok && n.Optional {
			continue
		}
		if !ok {
			hint := "add " + n.Name + ` = "..." to ` + f.Path + " or set " + secrets.EnvVar(n.Name)
			if n.Generated {
				hint = "run `harborgen secrets init` to generate it, or set " + secrets.EnvVar(n.Name)
			}
			c.d.Errorf(diag.Pos{File: f.Path, Line: 1, Col: 1}, path, hint, "secret %s (%s) is missing from %s", n.Name, n.Why, f.Path)
			continue
		}
		if err := secrets.CheckValue(n.Def, v); err != nil {
			if fromEnv { // the file is not where the value came from
				c.d.Errorf(c.pos(""), path, "set "+secrets.EnvVar(n.Name)+" to a usable value, or unset it to use "+f.Path,
					"secret %s, from the environment variable %s, %v", n.Name, secrets.EnvVar(n.Name), err)
				continue
			}
			hint := "fix it in " + f.Path + ", or delete it and run `harborgen secrets init`"
			if !n.Generated {
				hint = "fix it in " + f.Path // secrets init never makes an operator's secret
				if n.Optional {
					hint += ", or delete it"
				}
			}
			c.d.Errorf(at(n.Name), path, hint, "secret %s %v", n.Name, err)
		}
	}
	hash, _, okHash := f.Lookup(secrets.RegistryHtpasswd.Name, env)
	pw, _, okPw := f.Lookup(secrets.RegistryPassword.Name, env)
	if okHash && okPw && secrets.CheckValue(secrets.RegistryHtpasswd, hash) == nil && !secrets.HtpasswdMatches(hash, pw) {
		c.d.Errorf(at(secrets.RegistryHtpasswd.Name), "secrets."+secrets.RegistryHtpasswd.Name,
			"delete registry_htpasswd and run `harborgen secrets init` to hash the current password",
			"registry_htpasswd is not the hash of registry_password: core could not log in to the registry")
	}
	refused := checkRefused(c, f, env)
	var unknown []string
	for name := range f.Values {
		if !slices.ContainsFunc(needs, func(n secrets.Need) bool { return n.Name == name }) &&
			!slices.ContainsFunc(refused, func(r secrets.Refusal) bool { return r.Name == name }) {
			unknown = append(unknown, name)
		}
	}
	sort.Strings(unknown)
	for _, name := range unknown {
		c.d.Warnf(at(name), "secrets."+name, "remove it if it is a leftover or a typo", "secret %s is not used by this spec", name)
	}
}

// checkRefused reports each secret that is given (in f or the environment)
// although the spec cannot use it, and returns them all.
func checkRefused(c *check, f *secrets.File, env func(string) (string, bool)) []secrets.Refusal {
	refused := secrets.Refused(c.s)
	for _, r := range refused {
		_, fromEnv, ok := f.Lookup(r.Name, env)
		if !ok {
			continue
		}
		pos, src := diag.Pos{File: f.Path, Line: max(f.Lines[r.Name], 1), Col: 1}, f.Path
		if fromEnv {
			pos, src = c.pos(r.At), secrets.EnvVar(r.Name)
		}
		c.d.Errorf(pos, "secrets."+r.Name, r.Hint, "secret %s is set in %s, but %s", r.Name, src, r.Why)
	}
	return refused
}

// checkSecretEnvNames warns about each HARBORGEN_SECRET_ variable that names
// no secret harborgen knows: a typo (HARBORGEN_SECRET_DB_PASWORD) would
// otherwise leave the secret it meant silently unset.
func checkSecretEnvNames(c *check, names []string) {
	known := secrets.KnownNames()
	envs := make([]string, len(known))
	for i, k := range known {
		envs[i] = secrets.EnvVar(k)
	}
	for _, name := range names {
		if !strings.HasPrefix(name, secrets.EnvPrefix) || slices.Contains(envs, name) {
			continue
		}
		hint := "unset it; the secrets' variables are " + secrets.EnvPrefix + "<NAME>, NAME one of " + strings.Join(known, ", ")
		if s := spec.Suggest(strings.TrimPrefix(name, secrets.EnvPrefix), known); s != "" {
			hint = fmt.Sprintf("did you mean %s?", secrets.EnvVar(s))
		}
		c.d.Warnf(c.pos(""), "", hint, "the environment variable %s names no secret harborgen knows, so it is ignored", name)
	}
}

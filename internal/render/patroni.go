package render

import "github.com/harborgen/harborgen/internal/tree"

// patroniFiles adds the Patroni tier's files of a node: on a postgres member
// its patroni.yml, the Dockerfile of its image and its passwords, and on the
// member that runs it the database init script; on an etcd node the etcd
// member's configuration.
func patroniFiles(e *Engine, d Data, values map[string]string, t *tree.Tree) error {
	if d.Node.Etcd != nil {
		if err := addFile(e, "tiers/patroni/etcd.conf.yml.tmpl", "etcd/etcd.conf.yml", d, t); err != nil {
			return err
		}
	}
	p := d.Node.Patroni
	if p == nil {
		return nil
	}
	files := [][2]string{{"patroni.yml.tmpl", "patroni/patroni.yml"}, {"Dockerfile.tmpl", "patroni/Dockerfile"}}
	secretFiles := [][2]string{{"patroni.env.tmpl", "patroni.env"}}
	if p.Init {
		files = append(files, [2]string{"patroni-init-db.sh.tmpl", "patroni-init-db.sh"})
		secretFiles = append(secretFiles, [2]string{"patroni-init.env.tmpl", "patroni-init.env"})
	}
	for _, f := range files {
		if err := addFile(e, "tiers/patroni/"+f[0], f[1], d, t); err != nil {
			return err
		}
	}
	for _, f := range secretFiles {
		if err := addSecret(e, "tiers/patroni/"+f[0], f[1], d, values, t); err != nil {
			return err
		}
	}
	return nil
}

package render

import "github.com/harborgen/harborgen/internal/tree"

// galeraFiles adds the galera tier's files of a member: its option file, the
// health responder and the scripts every member runs (join), the Dockerfile
// of its image when the SST method needs packages the image lacks, and on the
// bootstrap member the bootstrap and database scripts.
func galeraFiles(e *Engine, d Data, values map[string]string, t *tree.Tree) error {
	g := d.Node.Galera
	if g == nil {
		return nil
	}
	files := [][2]string{
		{"galera.cnf.tmpl", "galera/galera.cnf"},
		{"galera-health.sh.tmpl", "galera/galera-health.sh"},
		{"lib.bash.tmpl", "galera/lib.bash"},
		{"galera-join.sh.tmpl", "galera-join.sh"},
	}
	secretFiles := [][2]string{
		{"galera.env.tmpl", "galera.env"},
		{"galera-client.cnf.tmpl", "galera-client.cnf"},
	}
	if len(g.ImagePackages) > 0 {
		files = append(files, [2]string{"Dockerfile.tmpl", "galera/Dockerfile"})
	}
	if g.SSTUser != "" {
		secretFiles = append(secretFiles, [2]string{"galera-sst.cnf.tmpl", "galera-sst.cnf"})
	}
	if g.Bootstrap {
		files = append(files,
			[2]string{"bootstrap.yml.tmpl", "galera/bootstrap.yml"},
			[2]string{"galera-bootstrap.sh.tmpl", "galera-bootstrap.sh"},
			[2]string{"galera-init-db.sh.tmpl", "galera-init-db.sh"})
		secretFiles = append(secretFiles, [2]string{"galera-users.env.tmpl", "galera-users.env"})
	}
	for _, f := range files {
		if err := addFile(e, "tiers/galera/"+f[0], f[1], d, t); err != nil {
			return err
		}
	}
	for _, f := range secretFiles {
		if err := addSecret(e, "tiers/galera/"+f[0], f[1], d, values, t); err != nil {
			return err
		}
	}
	return nil
}

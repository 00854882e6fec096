package escape

import (
	"context"
	"fmt"
	"testing"

	"github.com/compose-spec/compose-go/v2/loader"
	"github.com/compose-spec/compose-go/v2/types"
)

func TestCompose(t *testing.T) {
	runEscaperTable(t, Compose, []escaperCase{
		{name: "empty", in: "", want: `""`},
		{name: "plain", in: "Harbor12345", want: `"Harbor12345"`},
		{name: "dollar", in: "pa$ss", want: `"pa$$ss"`},
		{name: "dollar braces", in: "${X:-y}", want: `"$${X:-y}"`},
		{name: "double dollar", in: "$$", want: `"$$$$"`},
		{name: "quotes backslash", in: `'"\`, want: `"'\"\\"`},
		{name: "bool", in: "yes", want: `"yes"`},
		{name: "invalid utf8", in: "\xff", wantErr: "byte 0xff (not UTF-8) at byte 0"},
	})
}

// readCompose loads escaped as an environment value and a label of a
// service with compose-go's loader, the reader of docker compose files
// (YAML, then interpolation, with every variable resolving to a marker so
// that an unescaped $ shows).
func readCompose(escaped string) (string, error) {
	file := "services:\n  core:\n    image: goharbor/harbor-core\n" +
		"    environment:\n      K: " + escaped + "\n      AFTER: \"2\"\n" +
		"    labels:\n      k: " + escaped + "\n"
	project, err := loader.LoadWithContext(context.Background(), types.ConfigDetails{
		WorkingDir:  "/nodes/harbor01",
		ConfigFiles: []types.ConfigFile{{Filename: "docker-compose.yml", Content: []byte(file)}},
		Environment: types.Mapping{},
	}, func(o *loader.Options) {
		o.SkipResolveEnvironment = true
		o.SetProjectName("harborgen", true)
		o.Interpolate.LookupValue = func(string) (string, bool) { return "<expanded>", true }
	})
	if err != nil {
		return "", err
	}
	core := project.Services["core"]
	env, label := core.Environment["K"], core.Labels["k"]
	if len(core.Environment) != 2 || env == nil || core.Environment["AFTER"] == nil || *core.Environment["AFTER"] != "2" {
		return "", fmt.Errorf("the value spilled into its neighbours: %v", core.Environment)
	}
	if *env != label {
		return "", fmt.Errorf("environment reads %q, labels %q", *env, label)
	}
	return label, nil
}

func TestComposeRoundTrip(t *testing.T) {
	roundTripHostile(t, Compose, readCompose, notUTF8)
}

func FuzzCompose(f *testing.F) {
	seedHostile(f)
	f.Fuzz(func(t *testing.T, s string) {
		checkRoundTrip(t, s, Compose, readCompose, notUTF8)
	})
}

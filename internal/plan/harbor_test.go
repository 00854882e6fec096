package plan

import (
	"maps"
	"slices"
	"testing"

	"github.com/harborgen/harborgen/internal/profile"
	"github.com/harborgen/harborgen/internal/spec"
)

func TestRedisURL(t *testing.T) {
	for _, tc := range []struct {
		u        RedisURL
		password string
		want     string
	}{
		{RedisURL{Scheme: "redis", Hosts: "10.0.0.6:6379"}, "pw", "redis://:pw@10.0.0.6:6379?idle_timeout_seconds=30"},
		{RedisURL{Scheme: "redis", Hosts: "10.0.0.6:6379", DB: 1}, "p@ss/w%rd", "redis://:p%40ss%2Fw%25rd@10.0.0.6:6379/1?idle_timeout_seconds=30"},
		{RedisURL{Scheme: "redis+sentinel", Hosts: "a:26379,b:26379", MasterSet: "harbor", DB: 2}, "pw",
			"redis+sentinel://:pw@a:26379,b:26379/harbor/2?idle_timeout_seconds=30"},
		{RedisURL{Scheme: "redis", Hosts: "h:6379", DB: 5}, "", "redis://h:6379/5?idle_timeout_seconds=30"},
		{RedisURL{Scheme: "redis", User: "harbor", Hosts: "h:6379", DB: 1}, "p@ss", "redis://harbor:p%40ss@h:6379/1?idle_timeout_seconds=30"},
		{RedisURL{Scheme: "redis+sentinel", User: "a@b:c/d", Hosts: "a:26379,b:26379", MasterSet: "harbor"}, "pw",
			"redis+sentinel://a%40b%3Ac%2Fd:pw@a:26379,b:26379/harbor?idle_timeout_seconds=30"},
		{RedisURL{Scheme: "redis", User: "harbor", Hosts: "h:6379"}, "", "redis://harbor@h:6379?idle_timeout_seconds=30"},
	} {
		if got := tc.u.String(tc.password); got != tc.want {
			t.Errorf("String(%q) = %s, want %s", tc.password, got, tc.want)
		}
	}
}

// TestSettingValuesAreTheEnvSources keeps the settings a profile's env key
// may name (profile.EnvSources, checked when a profile loads) equal to the
// ones the plan can write.
func TestSettingValuesAreTheEnvSources(t *testing.T) {
	got := slices.Sorted(maps.Keys(settingValues(&spec.Spec{})))
	if !slices.Equal(got, profile.EnvSources) {
		t.Errorf("settingValues names %v, profile.EnvSources %v: keep them equal (and sorted)", got, profile.EnvSources)
	}
}

package validate_test

import (
	"reflect"

	"github.com/harborgen/harborgen/internal/spec"
)

func equalSpecs(a, b *spec.Spec) bool { return reflect.DeepEqual(a, b) }

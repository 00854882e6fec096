// Package services holds the real-service suite: it renders a loopback spec
// and starts Galera, Redis, nginx, HAProxy, Ceph RGW and Harbor's registry
// from the rendered files on 127.0.0.x, and checks that the clusters actually
// form and serve. The code is all in _test.go files; `make test-services`
// runs it alone.
package services

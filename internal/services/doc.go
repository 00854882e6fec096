// Package services holds the real-service suite: it renders a loopback spec
// and starts Galera, Redis, nginx, HAProxy and Ceph RGW from the rendered
// files on 127.0.0.x, and checks that the clusters actually form. The code is
// all in _test.go files; `make test-services` runs it alone.
package services

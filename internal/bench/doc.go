// Package bench holds the benchmarks of every stage of harborgen (load,
// validate, plan, render, write) on generated specs of 3, 50 and 500 harbor
// nodes, and the generator of those specs; `make bench` runs them. It has no
// code outside its tests.
package bench

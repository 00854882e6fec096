// Command harborgen turns one cluster spec into every file a highly-available
// Harbor registry needs on every node.
package main

import "os"

func main() { os.Exit(run(os.Args, os.Stdin, os.Stdout, os.Stderr, os.Environ())) }

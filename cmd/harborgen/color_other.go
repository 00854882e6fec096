//go:build !linux

package main

import "os"

// terminal: colour is for Linux terminals only; elsewhere output stays plain.
func terminal(*os.File) bool { return false }

//go:build !linux

package main

type cpuSample struct{ ok bool }

func sampleCPU(int) cpuSample { return cpuSample{} }

func otherCores(a, b cpuSample, seconds float64) (float64, bool) { return 0, false }

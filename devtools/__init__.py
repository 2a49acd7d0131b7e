"""Tooling shared by the tests and the benchmarks: driving the real Pulumi CLI on a throwaway
copy of the program."""

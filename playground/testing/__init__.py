"""Stand-ins for tests and benchmarks, never shown to a learner."""

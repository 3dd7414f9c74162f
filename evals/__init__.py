"""Twin evaluation suites: `twin eval ...` (see docs/evals.md)."""

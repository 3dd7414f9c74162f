"""Graph nodes, one module each: analyze, retrieve, generate, judge."""

"""The judge's guardrails-ai validators, one module each, composed in one Guard."""

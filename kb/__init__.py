"""Knowledge base: notes folder -> chunks -> Chroma index, with recency-aware retrieval."""

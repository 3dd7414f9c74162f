"""The Twin LangGraph: state, graph assembly and the runner."""

"""Reports of benchmark results: Markdown tables, PNG plots, run-to-run comparisons."""
